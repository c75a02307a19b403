"""Certificate settings (an administrator's, kept in the database) and the signing key ring."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.catalog.models import CatalogItem
from app.catalog.services import rule_value
from app.certificates import rules, signing
from app.certificates.models import CertificateSetting
from app.core import audit
from app.core.errors import DomainError
from app.extensions import db

# ---- settings ---------------------------------------------------------------------------------

SETTING_FIELDS = {  # key: (label, default)
    "authority": ("发证机关", "阜新市应急管理局"),
    "safety_role_number_format": ("三项岗位证书编号格式", rules.DEFAULT_SAFETY_ROLE_FORMAT),
    "show_photo_public": ("公开核验页显示持证人照片", "0"),
    "national_lookup_url": ("全国查询网址", "https://cx.mem.gov.cn/"),
    "enforce_refresher_hours": ("复审须完成复审培训学时", "1"),
    "enforce_review_exam": ("复审须考试合格", "1"),
    "public_base_url": ("核验网址前缀（二维码使用）", ""),
}


@dataclass(frozen=True)
class CertSettings:
    authority: str
    safety_role_number_format: str
    show_photo_public: bool
    national_lookup_url: str
    enforce_refresher_hours: bool
    enforce_review_exam: bool
    public_base_url: str


def _load_settings() -> CertSettings:
    stored = dict(db.session.execute(sa.select(CertificateSetting.key, CertificateSetting.value)).all())
    values = {key: stored.get(key, default) for key, (_label, default) in SETTING_FIELDS.items()}
    flags = ("show_photo_public", "enforce_refresher_hours", "enforce_review_exam")
    return CertSettings(**{k: (v == "1") if k in flags else v for k, v in values.items()})


def get_settings() -> CertSettings:
    """The certificate settings: stored values over the defaults."""
    return _load_settings()


# The public page reads the settings and the review window on every scan: a few seconds' cache per
# process saves two queries a request; a change reaches every worker within CERT_SETTINGS_TTL.
_cache_lock = threading.Lock()
_cache: dict = {}


def public_settings() -> tuple[CertSettings, int]:
    """(settings, review window in days), cached for CERT_SETTINGS_TTL seconds (0 = not cached,
    the default when testing)."""
    ttl = current_app.config.get("CERT_SETTINGS_TTL", 0 if current_app.testing else 5)
    now = time.monotonic()
    key = id(current_app._get_current_object())
    with _cache_lock:
        hit = _cache.get(key)
        if ttl and hit and now - hit[0] < ttl:
            return hit[1]
    value = (_load_settings(), rule_value("review_window_days", 60))
    with _cache_lock:
        _cache[key] = (now, value)
    return value


def save_settings(values: dict, reason: str = "") -> None:
    """Store the settings (flags as bool) and audit the change. Raises DomainError for a bad
    number format."""
    before = get_settings().__dict__
    if "safety_role_number_format" in values:
        try:
            rules.certificate_number("110101199003070000", is_special=False,
                                     safety_role_format=values["safety_role_number_format"])
        except ValueError as exc:
            raise DomainError(str(exc), field="safety_role_number_format") from None
    for key, value in values.items():
        if key not in SETTING_FIELDS:
            continue
        text = ("1" if value else "0") if isinstance(value, bool) else str(value).strip()
        row = db.session.get(CertificateSetting, key)
        if row is None:
            db.session.add(CertificateSetting(key=key, value=text))
        else:
            row.value = text
    db.session.flush()
    with _cache_lock:
        _cache.clear()
    audit.record("certificates.settings", "certificate_settings", "-", before=before,
                 after=get_settings().__dict__, reason=reason)


# ---- keys -------------------------------------------------------------------------------------

_rings: dict[str, signing.KeyRing] = {}
_rings_lock = threading.Lock()


def keyring() -> signing.KeyRing:
    """The key ring in ``instance/keys`` of the running app (one object per directory)."""
    directory = str(Path(current_app.config.get("CERT_KEYS_DIR") or Path(current_app.instance_path) / "keys"))
    with _rings_lock:
        ring = _rings.get(directory)
        if ring is None:
            ring = _rings[directory] = signing.KeyRing(directory)
    return ring


def published_keys() -> dict:
    """The document at /.well-known/certificate-keys.json: every key with its status, and the item
    ids a token may carry, so that an employer's tool can check a token offline."""
    items = db.session.execute(sa.select(CatalogItem.id, CatalogItem.name).order_by(CatalogItem.id)).all()
    return {
        "format": "cert-token-v1",
        "algorithm": "Ed25519",
        "token_layout": "version(1) key_id(2) public_id(10) item_id(2, big-endian) "
                        "valid_until_days_since_2000_01_01(2, big-endian) signature(64) over bytes 0-16; base64url, no padding",
        "epoch": signing.EPOCH.isoformat(),
        "keys": [{"key_id": k.key_id, "public_key": k.public_key, "status": k.status, "created_at": k.created_at,
                  "retired_at": k.retired_at, "compromised_at": k.compromised_at} for k in keyring().keys()],
        "items": {str(i): name for i, name in items},
    }
