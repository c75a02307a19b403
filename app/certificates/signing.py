"""Signed certificate tokens and the signing keys (no Flask, no database).

A token is 81 bytes, base64url without padding (108 characters):

    offset size  field
    0      1     version (1)
    1      2     key id (shown as 4 hex digits)
    3      10    the card's random public id
    13     2     catalogue item id (unsigned, big-endian)
    15     2     valid until, as days since 2000-01-01 (unsigned, big-endian)
    17     64    Ed25519 signature over bytes 0–16

Keys live in a directory (``instance/keys``): ``keys.json`` lists every key with its raw public
key (base64url), status (active / retired / compromised) and dates; ``<kid>.pem`` holds the
private key (PKCS#8, mode 0600). Retired keys keep verifying; a compromised key verifies nothing.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import fcntl
import hmac
import json
import os
import re
import secrets
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = 1
EPOCH = dt.date(2000, 1, 1)
HEADER = struct.Struct(">B2s10sHH")
SIGNATURE_BYTES = 64
TOKEN_BYTES = HEADER.size + SIGNATURE_BYTES          # 81
TOKEN_CHARS = (TOKEN_BYTES * 4 + 2) // 3              # 108, no padding
PUBLIC_ID_BYTES = 10
_TOKEN_RE = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_CHARS}}}")

ACTIVE, RETIRED, COMPROMISED = "active", "retired", "compromised"


@dataclass(frozen=True)
class Claims:
    """What a valid token says."""

    key_id: str
    public_id: str          # 20 hex digits
    item_id: int
    valid_until: dt.date


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _days(day: dt.date) -> int:
    days = (day - EPOCH).days
    if not 0 <= days <= 0xFFFF:
        raise ValueError(f"valid-until date {day} is outside what a token can carry")
    return days


def pack_header(key_id: str, public_id: str, item_id: int, valid_until: dt.date) -> bytes:
    if not 0 < item_id <= 0xFFFF:
        raise ValueError("item id must fit in 16 bits")
    return HEADER.pack(VERSION, bytes.fromhex(key_id), bytes.fromhex(public_id), item_id, _days(valid_until))


def new_public_id() -> str:
    """A random, non-sequential public id for a card (80 bits, hex)."""
    return secrets.token_hex(PUBLIC_ID_BYTES)


def sign_token(private_key: Ed25519PrivateKey, key_id: str, public_id: str, item_id: int,
               valid_until: dt.date) -> str:
    header = pack_header(key_id, public_id, item_id, valid_until)
    return b64url(header + private_key.sign(header))


# A fixed key and message so that a token that cannot even be parsed costs one signature check too.
_DUMMY_KEY = Ed25519PrivateKey.from_private_bytes(b"\x01" * 32).public_key()
_DUMMY_HEADER = HEADER.pack(VERSION, b"\0\0", b"\0" * PUBLIC_ID_BYTES, 1, 0)
_DUMMY_SIGNATURE = b"\0" * SIGNATURE_BYTES


def _decode(token: object) -> bytes | None:
    """The raw bytes of a well-formed token, or None (wrong type, length or alphabet)."""
    if not isinstance(token, str) or len(token) != TOKEN_CHARS or not _TOKEN_RE.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != TOKEN_BYTES or b64url(raw) != token:   # the canonical encoding only
        return None
    return raw


def verify_token(token: object, public_key_for) -> Claims | None:
    """The claims of a genuine token, or None. ``public_key_for(kid)`` returns the Ed25519 public
    key of a usable (not compromised) key id, else None.

    Every path does the same work (one decode attempt, one key lookup, one signature check), so a
    malformed token, an unknown key and a bad signature cannot be told apart by timing."""
    raw = _decode(token)
    ok = raw is not None and raw[0] == VERSION
    header, signature = (raw[:HEADER.size], raw[HEADER.size:]) if ok else (_DUMMY_HEADER, _DUMMY_SIGNATURE)
    key_id = header[1:3].hex()
    key = public_key_for(key_id)
    if key is None:
        ok, key = False, _DUMMY_KEY
    try:
        key.verify(signature, header)
    except InvalidSignature:
        ok = False
    if not ok:
        return None
    _v, _kid, public_id, item_id, days = HEADER.unpack(header)
    return Claims(key_id, public_id.hex(), item_id, EPOCH + dt.timedelta(days=days))


def same_token(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))


# ---- the key ring -----------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    public_key: str         # raw 32 bytes, base64url
    status: str
    created_at: str
    retired_at: str | None = None
    compromised_at: str | None = None


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class KeyRing:
    """The signing keys in one directory. Safe across threads and processes (a file lock guards
    creation and rotation); re-reads keys.json when another process changed it."""

    def __init__(self, directory: str | os.PathLike):
        self.dir = Path(directory)
        self.manifest = self.dir / "keys.json"
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._keys: dict[str, KeyInfo] = {}
        self._active: str | None = None
        self._public: dict[str, Ed25519PublicKey] = {}
        self._private: dict[str, Ed25519PrivateKey] = {}

    # reading
    def _load(self) -> None:
        try:
            st = self.manifest.stat()
        except FileNotFoundError:
            self._stamp, self._keys, self._active, self._public = None, {}, None, {}
            return
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._stamp:
            return
        data = json.loads(self.manifest.read_text(encoding="utf-8"))
        keys = {k["key_id"]: KeyInfo(**k) for k in data.get("keys", [])}
        public = {kid: Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(k.public_key + "=="))
                  for kid, k in keys.items() if k.status != COMPROMISED}
        self._keys, self._active, self._public, self._stamp = keys, data.get("active"), public, stamp

    def keys(self) -> list[KeyInfo]:
        with self._lock:
            self._load()
            return sorted(self._keys.values(), key=lambda k: k.created_at)

    def public_key(self, key_id: str) -> Ed25519PublicKey | None:
        """The public key of a usable key id (active or retired), else None."""
        with self._lock:
            self._load()
            return self._public.get(key_id)

    def active(self) -> tuple[str, Ed25519PrivateKey]:
        """The key new tokens are signed with; created (with the directory) on first use."""
        with self._lock:
            self._load()
            if self._active is None or self._keys[self._active].status != ACTIVE:
                with self._file_lock():
                    self._stamp = None
                    self._load()
                    if self._active is None or self._keys[self._active].status != ACTIVE:
                        self._add_key()
            kid = self._active
            if kid not in self._private:
                pem = (self.dir / f"{kid}.pem").read_bytes()
                self._private[kid] = serialization.load_pem_private_key(pem, password=None)
            return kid, self._private[kid]

    # changing (callers: the CLI)
    def rotate(self) -> str:
        """A new active key; the previous one is retired and keeps verifying. Returns the new id."""
        with self._lock, self._file_lock():
            self._stamp = None
            self._load()
            return self._add_key()

    def compromise(self, key_id: str) -> KeyInfo:
        """Mark a key compromised: every token it signed fails from now on. A compromised active key
        is replaced by a new one. Raises KeyError for an unknown id."""
        with self._lock, self._file_lock():
            self._stamp = None
            self._load()
            if key_id not in self._keys:
                raise KeyError(key_id)
            info = self._keys[key_id]
            self._keys[key_id] = KeyInfo(**{**info.__dict__, "status": COMPROMISED,
                                            "compromised_at": info.compromised_at or _now()})
            self._private.pop(key_id, None)
            if self._active == key_id:
                self._active = None
                self._add_key()
            else:
                self._write()
            return self._keys[key_id]

    # internals (the file lock is held)
    @contextlib.contextmanager
    def _file_lock(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        fd = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _add_key(self) -> str:
        while True:
            kid = secrets.token_hex(2)
            if kid not in self._keys and kid != "0000":
                break
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        path = self.dir / f"{kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        os.chmod(path, 0o600)
        raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        now = _now()
        if self._active and self._keys.get(self._active) and self._keys[self._active].status == ACTIVE:
            old = self._keys[self._active]
            self._keys[old.key_id] = KeyInfo(**{**old.__dict__, "status": RETIRED, "retired_at": now})
        self._keys[kid] = KeyInfo(kid, b64url(raw), ACTIVE, now)
        self._active = kid
        self._private[kid] = private
        self._write()
        return kid

    def _write(self) -> None:
        data = {"active": self._active, "keys": [k.__dict__ for k in self._keys.values()]}
        tmp = self.dir / "keys.json.part"
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        os.chmod(tmp, 0o644)
        tmp.replace(self.manifest)
        self._stamp = None
        self._load()


__all__ = ["VERSION", "EPOCH", "TOKEN_BYTES", "TOKEN_CHARS", "Claims", "KeyInfo", "KeyRing", "ACTIVE", "RETIRED",
           "COMPROMISED", "new_public_id", "sign_token", "verify_token", "pack_header", "same_token", "b64url"]
