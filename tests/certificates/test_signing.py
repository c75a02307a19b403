"""Tokens and keys: format, size, QR fit, key rotation and compromise, and mutated tokens."""
import base64
import datetime as dt
import json
import os
import random
import stat

import pytest
import qrcode
import qrcode.constants
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.certificates import signing
from app.certificates.signing import KeyRing, verify_token

UNTIL = dt.date(2032, 3, 2)


@pytest.fixture
def ring(tmp_path):
    return KeyRing(tmp_path / "keys")


def _token(ring, public_id="0123456789abcdef0123", item_id=7, until=UNTIL):
    kid, key = ring.active()
    return signing.sign_token(key, kid, public_id, item_id, until)


def test_token_round_trip_and_layout(ring):
    token = _token(ring)
    assert len(token) == signing.TOKEN_CHARS == 108 and "=" not in token
    claims = verify_token(token, ring.public_key)
    assert claims == signing.Claims(ring.active()[0], "0123456789abcdef0123", 7, UNTIL)


def test_offline_check_with_the_published_public_key_only(ring):
    """What the README tells an employer's tool to do, with nothing but keys.json."""
    token = _token(ring)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    manifest = json.loads((ring.dir / "keys.json").read_text())
    entry = next(k for k in manifest["keys"] if k["key_id"] == raw[1:3].hex())
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    pub = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(entry["public_key"] + "=="))
    pub.verify(raw[17:], raw[:17])  # raises when forged
    assert int.from_bytes(raw[15:17], "big") == (UNTIL - dt.date(2000, 1, 1)).days


def test_url_fits_qr_version_10_at_level_m(ring):
    url = "https://zhongxin-anquan-peixun.example.gov.cn/v/" + _token(ring)
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    assert qr.best_fit() <= 10


def test_keys_created_on_first_use_with_private_key_0600(ring):
    kid, _key = ring.active()
    pem = ring.dir / f"{kid}.pem"
    assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ring.dir).st_mode) == 0o700
    assert "PRIVATE" not in (ring.dir / "keys.json").read_text()
    assert len(kid) == 4


def test_rotation_keeps_old_tokens_valid_and_compromise_fails_them(ring, tmp_path):
    old = _token(ring)
    old_kid = ring.active()[0]
    new_kid = ring.rotate()
    assert new_kid != old_kid and ring.active()[0] == new_kid
    new = _token(ring)
    assert verify_token(old, ring.public_key) is not None
    assert verify_token(new, ring.public_key).key_id == new_kid
    # another process (a second ring on the same directory) sees the compromise
    other = KeyRing(tmp_path / "keys")
    other.compromise(old_kid)
    assert verify_token(old, ring.public_key) is None
    assert verify_token(new, ring.public_key) is not None
    statuses = {k.key_id: k.status for k in ring.keys()}
    assert statuses == {old_kid: "compromised", new_kid: "active"}


def test_compromising_the_active_key_makes_a_new_one(ring):
    kid = ring.active()[0]
    ring.compromise(kid)
    assert ring.active()[0] != kid
    with pytest.raises(KeyError):
        ring.compromise("ffff" if kid != "ffff" else "eeee")


def _mutations(token: str, rng: random.Random, foreign: str, other_kid_token: str):
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    kind = rng.randrange(10)
    if kind == 0:      # one bit flipped anywhere
        b = bytearray(raw)
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return signing.b64url(bytes(b))
    if kind == 1:      # truncated
        return token[:rng.randrange(len(token))]
    if kind == 2:      # signed by another key (unknown key id)
        return foreign
    if kind == 3:      # key id swapped for the other known key
        b = bytearray(raw)
        b[1:3] = base64.urlsafe_b64decode(other_kid_token + "==")[1:3]
        return signing.b64url(bytes(b))
    if kind == 4:      # oversized
        return token + "A" * rng.randrange(1, 5000)
    if kind == 5:      # wrong encodings: padding, standard base64, percent-encoding, unicode look-alikes
        return rng.choice([token + "==", base64.b64encode(bytes(raw)).decode(), token.replace("A", "%41"),
                           token[:-1] + "Ａ", token.upper(), " " + token, token + "\n", token[:-1] + "\u200b"])
    if kind == 6:      # a payload byte changed and signature kept
        b = bytearray(raw)
        b[rng.randrange(1, 17)] = rng.randrange(256)
        return signing.b64url(bytes(b))
    if kind == 7:      # random bytes of the right length
        return signing.b64url(bytes(rng.randrange(256) for _ in range(signing.TOKEN_BYTES)))
    if kind == 8:      # wrong version
        b = bytearray(raw)
        b[0] = rng.choice([0, 2, 255])
        return signing.b64url(bytes(b))
    return token[:rng.randrange(1, len(token))] + token[rng.randrange(len(token)):]  # spliced


def test_ten_thousand_mutated_tokens_are_all_refused(ring, tmp_path):
    token = _token(ring)
    other_kid = ring.rotate()
    other_token = _token(ring)
    foreign_key = Ed25519PrivateKey.generate()
    foreign = signing.sign_token(foreign_key, ring.active()[0], "0123456789abcdef0123", 7, UNTIL)  # same kid, wrong key
    rng = random.Random(2026)
    accepted = []
    for _ in range(10_000):
        bad = _mutations(token, rng, foreign, other_token)
        if bad == token:
            continue
        claims = verify_token(bad, ring.public_key)
        if claims is not None:
            accepted.append(bad)
    assert not accepted
    assert other_kid != token[:4]
    for odd in (None, 12, b"bytes", "", "é" * 108, "A" * 108):
        assert verify_token(odd, ring.public_key) is None


def test_the_documented_offline_check_works(ring):
    """The Python example in app/certificates/README.md accepts a genuine token and refuses others."""
    import re
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "app" / "certificates" / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1).split("keys = json.load")[0]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    token = _token(ring)
    keys = {"keys": [k.__dict__ for k in ring.keys()], "items": {"7": "低压电工作业"}}
    assert namespace["check"](token, keys) == {"item": "低压电工作业", "valid_until": UNTIL}
    assert namespace["check"](token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), keys) is None
    ring.compromise(ring.active()[0])
    keys = {"keys": [k.__dict__ for k in ring.keys()], "items": {}}
    assert namespace["check"](token, keys) is None
