"""The quiz result card as a PNG (Pillow, the bundled Noto Sans SC): quiz, score, date. No personal data."""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).resolve().parents[1] / "static" / "fonts"
WIDTH, HEIGHT = 720, 400


@lru_cache(maxsize=8)
def _font(size: int, bold: bool = False):
    path = FONTS / ("NotoSansSC-Bold.otf" if bold else "NotoSansSC-Regular.otf")
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default()


def render_card(title: str, correct: int, total: int, day: str, site: str) -> bytes:
    """A 720×400 PNG: the site, "<quiz>知识测验", the score in large figures, and the date."""
    img = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, WIDTH, 84), fill=(176, 32, 32))
    draw.text((32, 22), "应急常识我要懂", font=_font(32, True), fill=(255, 255, 255))
    draw.text((32, 112), f"{title}测验", font=_font(30, True), fill=(33, 37, 41))
    draw.text((32, 170), f"答对 {correct} / {total} 题", font=_font(56, True), fill=(176, 32, 32))
    share = round(100 * correct / total) if total else 0
    verdict = "优秀！" if share >= 90 else ("不错，继续加油！" if share >= 60 else "再学一学，安全更有保障。")
    draw.text((32, 252), verdict, font=_font(28), fill=(33, 37, 41))
    draw.text((32, 340), f"{site} · {day}", font=_font(22), fill=(85, 85, 85))
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()
