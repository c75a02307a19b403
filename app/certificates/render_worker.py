"""The PDF worker: plain certificate data in, PDF bytes out. It runs in this process for one
certificate and in spawned processes for a batch, so it needs no Flask app: the photo is scaled,
the QR drawn and the template filled here (the expensive part next to the layout), with one
FontConfiguration per process (app.core.pdf) for every document."""
from __future__ import annotations

import base64
import io
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"
LAYOUTS = {"card": "certificates/pdf_card.html", "a4": "certificates/pdf_a4.html"}
PHOTO_SIDE = 260
_env: jinja2.Environment | None = None


def _templates() -> jinja2.Environment:
    global _env
    if _env is None:
        _env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
    return _env


def photo_uri(path: str | None) -> str | None:
    """The holder's photo scaled down for print (keeps one PDF small), as a data: URI."""
    if not path or not Path(path).exists():
        return None
    from PIL import Image
    with Image.open(path) as img:
        img.draft("RGB", (PHOTO_SIDE, PHOTO_SIDE))   # JPEG: decode at a reduced size, much faster
        img = img.convert("RGB")
        img.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def qr_uri(text: str) -> str:
    """The QR code (level M) of ``text`` as a PNG data: URI. The mask pattern is fixed: choosing the
    "best" of eight costs most of the time of a QR code, and any mask is valid and scans."""
    import qrcode
    import qrcode.constants
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=2, mask_pattern=2)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image().save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def render_html(html: str) -> bytes:
    """One PDF document from one HTML string, with the bundled fonts and local files only."""
    from weasyprint import CSS, HTML

    from app.core.pdf import FONTS_CSS, STATIC, _fetcher, _font_config, _strict_images

    _strict_images()
    fonts = _font_config()
    css = CSS(string=FONTS_CSS, font_config=fonts, url_fetcher=_fetcher())
    return HTML(string=html, base_url=str(STATIC), url_fetcher=_fetcher()).write_pdf(stylesheets=[css], font_config=fonts)


def entries_html(entries: list[dict], layout: str, site_name: str) -> str:
    """The HTML of several certificates; each entry is plain data (see certificates.pdf.entry)."""
    filled = [dict(e, photo=photo_uri(e.get("photo_path")), qr=qr_uri(e["url"]) if e["url"] else None)
              for e in entries]
    return _templates().get_template(LAYOUTS[layout]).render(entries=filled, site_name=site_name)


def render_entries(entries: list[dict], layout: str, site_name: str) -> bytes:
    return render_html(entries_html(entries, layout, site_name))


def render_chunk(args: tuple[int, list[dict], str, str]) -> tuple[int, bytes]:
    """(index, entries, layout, site name) → (index, pdf): the pool's unit of work."""
    index, entries, layout, site_name = args
    return index, render_entries(entries, layout, site_name)
