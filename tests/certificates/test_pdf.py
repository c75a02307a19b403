"""Certificate PDFs: the QR decoded from the rendered page verifies end to end, every character
has a glyph in the bundled fonts, one PDF stays small, and a batch is one merged document."""
import ctypes.util
import datetime as dt
import importlib.util
import re
from html import unescape
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp

from app.certificates import pdf, services
from app.core.timeutil import local_today
from app.extensions import db
from tests.certificates.conftest import issue

ROOT = Path(__file__).resolve().parents[2]
RARE = "堃喆玥赟彧昇"


def _subset_fonts():
    spec = importlib.util.spec_from_file_location("subset_fonts", ROOT / "tools" / "subset_fonts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_harfbuzz_subset_library_is_installed():
    """Without libharfbuzz-subset WeasyPrint falls back to a subsetter ~30× slower (PERF-NOTES)."""
    assert ctypes.util.find_library("harfbuzz-subset"), "apt-get install libharfbuzz-subset0"


def _rasterise(data: bytes, page: int, dpi: int = 300):
    doc = pdfium.PdfDocument(data)
    try:
        return doc[page].render(scale=dpi / 72).to_pil()
    finally:
        doc.close()


@pytest.mark.parametrize("layout, qr_page", [("card", 1), ("a4", 0)])
def test_qr_decoded_from_the_pdf_verifies_end_to_end(app, client, outcomes, layout, qr_page):
    with app.app_context():
        cert = issue(outcomes, name="欧阳" + RARE[:2], today=local_today() - dt.timedelta(days=3))
        db.session.commit()
        with app.test_request_context(base_url="https://ks.example.cn"):
            data = pdf.render_one(cert, layout)
    assert data.startswith(b"%PDF") and len(data) <= 150 * 1024, len(data)
    found = zxingcpp.read_barcodes(_rasterise(data, qr_page))
    urls = [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(urls) == 1 and urls[0].startswith("https://ks.example.cn/v/")
    page = client.get(urls[0].removeprefix("https://ks.example.cn")).get_data(as_text=True)
    assert "有效" in page and "欧**堃" not in page and "欧***喆" not in page
    assert "欧**喆" in page


def test_every_character_of_a_certificate_has_a_glyph(app, outcomes):
    subset = _subset_fonts()
    with app.app_context():
        certs = [issue(outcomes, name=n) for n in ("王" + RARE[:2], "李" + RARE[2:4], "诸葛" + RARE[4:])]
        services.save_settings({"authority": "辽宁省阜新市应急管理局"}, reason="测试")
        with app.test_request_context(base_url="https://ks.example.cn"):
            html_text = "".join(pdf.certificates_html(certs, layout) for layout in pdf.LAYOUTS)
            data = pdf.render_batch(certs, "card", workers=1)
    text = unescape(re.sub(r"<style.*?</style>|<[^>]+>", " ", html_text, flags=re.S))
    assert all(ch in text for ch in RARE)
    assert subset.missing_glyphs(text) == set()
    doc = pdfium.PdfDocument(data)
    try:
        printed = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()
    for ch in RARE:
        assert ch in printed   # mapped to a real glyph, not a .notdef box


def test_batch_in_two_workers_is_one_document_in_order(app, outcomes):
    with app.app_context():
        certs = [issue(outcomes, name=f"张{c}") for c in "一二三四五"]
        with app.test_request_context(base_url="https://ks.example.cn"):
            seen = []
            data = pdf.render_batch(certs, "card", workers=2, chunk=2, progress=seen.append)
    assert seen == [2, 4, 5]
    doc = pdfium.PdfDocument(data)
    try:
        assert len(doc) == 10
        fronts = [doc[i].get_textpage().get_text_range() for i in range(0, 10, 2)]
    finally:
        doc.close()
    assert [f[f.index("张"):f.index("张") + 2] for f in fronts] == [f"张{c}" for c in "一二三四五"]
