"""A local arithmetic image captcha for the manual lookup: drawn with Pillow and the bundled font,
the answer kept in the session, single use. No third-party service."""
from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import threading
import time

from PIL import Image, ImageDraw, ImageFont

from app.core.pdf import STATIC

SESSION_KEY = "cert_captcha"
LIFETIME_S = 300
_FONT = STATIC / "fonts" / "NotoSansSC-Regular.otf"
# The session cookie is signed, not secret, and a client can send an old cookie again: so the
# cookie holds only an HMAC of the answer, and a used challenge id is remembered until it expires.
_used: dict[str, float] = {}
_used_lock = threading.Lock()


def new_challenge() -> tuple[str, int]:
    """A sum or difference of two small numbers, and its answer (never negative)."""
    a, b = secrets.randbelow(40) + 10, secrets.randbelow(9) + 1
    if secrets.randbelow(2):
        return f"{a} + {b} = ?", a + b
    return f"{a} − {b} = ?", a - b


def draw(text: str) -> bytes:
    """The challenge as a noisy PNG."""
    width, height = 180, 56
    img = Image.new("RGB", (width, height), (246, 248, 250))
    d = ImageDraw.Draw(img)
    for _ in range(6):
        d.line([(secrets.randbelow(width), secrets.randbelow(height)),
                (secrets.randbelow(width), secrets.randbelow(height))],
               fill=(150 + secrets.randbelow(80), 150 + secrets.randbelow(80), 150 + secrets.randbelow(80)), width=2)
    font = ImageFont.truetype(str(_FONT), 28)
    x = 10
    for ch in text:
        d.text((x, 8 + secrets.randbelow(8)), ch, font=font,
               fill=(20 + secrets.randbelow(60), 40 + secrets.randbelow(60), 90 + secrets.randbelow(80)))
        x += int(d.textlength(ch, font=font)) + 1
    for _ in range(200):
        img.putpixel((secrets.randbelow(width), secrets.randbelow(height)), (120, 120, 120))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _digest(secret: str, nonce: str, answer: int) -> str:
    return hmac.new(secret.encode(), f"{nonce}:{answer}".encode(), hashlib.sha256).hexdigest()


def issue(session, secret: str) -> bytes:
    """A new challenge: an HMAC of the answer goes into ``session`` (replacing any earlier one),
    the PNG out."""
    text, answer = new_challenge()
    nonce = secrets.token_urlsafe(12)
    session[SESSION_KEY] = {"n": nonce, "t": int(time.time()), "h": _digest(secret, nonce, answer)}
    return draw(text)


def _spend(nonce: str, now: float) -> bool:
    """Record the challenge id as used; False when it was used already."""
    with _used_lock:
        for key in [k for k, t in _used.items() if now - t > LIFETIME_S]:
            del _used[key]
        if nonce in _used:
            return False
        _used[nonce] = now
        return True


def check(session, secret: str, given: object) -> bool:
    """True when ``given`` answers the challenge in the session, within its lifetime, once. The
    challenge is used up either way."""
    data = session.pop(SESSION_KEY, None)
    if not isinstance(data, dict) or not all(k in data for k in ("n", "t", "h")):
        return False
    now = time.time()
    if not isinstance(data["t"], int) or now - data["t"] > LIFETIME_S or not _spend(str(data["n"]), now):
        return False
    try:
        value = int(str(given).strip())
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(str(data["h"]), _digest(secret, str(data["n"]), value))
