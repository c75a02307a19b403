"""PDF rendering with WeasyPrint: bundled fonts, one FontConfiguration per process, and no
fetching of anything that is not a local file or inline data (exam rooms may be offline)."""
from __future__ import annotations

import base64
import io
import threading
from pathlib import Path

import qrcode
import qrcode.constants
from flask import render_template

STATIC = Path(__file__).resolve().parents[1] / "static"
FONTS_CSS = f"""
@font-face {{ font-family: "Noto Sans SC"; src: url("{(STATIC / 'fonts/NotoSansSC-Regular.otf').as_uri()}"); }}
@font-face {{ font-family: "Noto Sans SC"; font-weight: bold; src: url("{(STATIC / 'fonts/NotoSansSC-Bold.otf').as_uri()}"); }}
@font-face {{ font-family: "Noto Sans SC Fallback"; src: url("{(STATIC / 'fonts/NotoSansSC-Fallback.otf').as_uri()}"); }}
"""
_local = threading.local()


def _font_config():
    from weasyprint.text.fonts import FontConfiguration
    if getattr(_local, "fonts", None) is None:
        _local.fonts = FontConfiguration()
    return _local.fonts


def _fetcher():
    """Inline data and the bundled static files only: never the network, never other files."""
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    class LocalOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                if not path.is_relative_to(STATIC.resolve()):
                    raise ValueError("only bundled files may be loaded")
            return super().fetch(url, headers)

    if getattr(_local, "fetcher", None) is None:
        _local.fetcher = LocalOnly(allowed_protocols={"file", "data"}, timeout=5)
    return _local.fetcher


def _strict_images() -> None:
    """Importing WeasyPrint makes Pillow accept truncated images process-wide; every image we render
    is generated or re-encoded by us, so turn that back off (photo uploads must be refused when broken)."""
    from PIL import ImageFile
    ImageFile.LOAD_TRUNCATED_IMAGES = False


def render_pdf(template: str, **context) -> bytes:
    """Render a Jinja template to PDF with the bundled Chinese fonts."""
    from weasyprint import CSS, HTML
    _strict_images()
    html = render_template(template, **context)
    fonts = _font_config()
    css = CSS(string=FONTS_CSS, font_config=fonts, url_fetcher=_fetcher())
    return HTML(string=html, base_url=str(STATIC), url_fetcher=_fetcher()).write_pdf(stylesheets=[css], font_config=fonts)


def qr_data_uri(text: str, box_size: int = 6) -> str:
    """A PNG QR code (error correction M) as a data: URI for templates."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=2)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image().save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def photo_data_uri(path: Path | None) -> str | None:
    if path is None or not path.exists():
        return None
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()
