"""Public verification: what an employer is shown for a scanned token, a manual lookup and a
bulk check. Only minimal, masked fields leave this module (never a full ID number or a birth date)."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from app.catalog.models import CatalogItem
from app.certificates import rules, signing
from app.certificates.models import Certificate, CertificateCard, CertificateState
from app.certificates.services import status_of
from app.certificates.settings import keyring, public_settings
from app.core.timeutil import format_date, local_today
from app.extensions import db
from app.people.models import Person


@dataclass(frozen=True)
class PublicView:
    """The minimal, masked fields of one verified card."""

    status: str
    status_label: str
    name: str
    id_number: str
    number: str
    item: str
    issued_on: str
    valid_until: str
    review_due: str
    last_review_on: str
    authority: str
    replaced_at: str
    revoked_on: str
    cancelled_on: str

    def as_json(self) -> dict:
        return {"valid": True, **asdict(self)}


_DUMMY_PUBLIC_ID = "0" * 20


@dataclass(frozen=True)
class Match:
    """Which card and certificate a genuine token belongs to (for the page's photo, the CLI)."""

    card_id: int
    certificate_id: int
    photo_file: str | None


# One plain query with just the columns the page needs (the page is scanned often: no ORM objects).
_VERIFY = (sa.select(CertificateCard.id, CertificateCard.key_id, CertificateCard.token, CertificateCard.superseded_at,
                     Certificate.id, Certificate.item_id, Certificate.state, Certificate.number, Certificate.issued_on,
                     Certificate.valid_until, Certificate.review_due, Certificate.last_review_on, Certificate.authority,
                     Certificate.revoked_on, Certificate.cancelled_on, Person.name, Person.id_number, Person.photo_file,
                     CatalogItem.name)
           .join(Certificate, CertificateCard.certificate_id == Certificate.id)
           .join(Person, Certificate.person_id == Person.id)
           .join(CatalogItem, Certificate.item_id == CatalogItem.id))


def verify(token: object, today: dt.date | None = None) -> tuple[PublicView, Match] | None:
    """The public view of a genuine token, or None. The signature is checked first; the card must
    exist, be the one that token was issued for (same key, same item) and its token match exactly.
    Every failure does a signature check and one database lookup, so failures look alike."""
    claims = signing.verify_token(token, keyring().public_key)
    public_id = claims.public_id if claims else _DUMMY_PUBLIC_ID
    row = db.session.execute(_VERIFY.where(CertificateCard.public_id == public_id)).first()
    if claims is None or row is None:
        return None
    (card_id, key_id, card_token, superseded_at, cert_id, item_id, state, number, issued_on, valid_until, review_due,
     last_review_on, authority, revoked_on, cancelled_on, name, id_number, photo_file, item_name) = row
    if key_id != claims.key_id or item_id != claims.item_id or not signing.same_token(card_token, token):
        return None
    status = rules.live_status(state, valid_until=valid_until, review_due=review_due, today=today or local_today(),
                               review_window_days=public_settings()[1], superseded=superseded_at is not None)
    view = PublicView(
        status=status.value, status_label=status.label, name=rules.mask_name(name),
        id_number=rules.mask_id_number(id_number), number=rules.mask_number(number, id_number), item=item_name,
        issued_on=format_date(issued_on), valid_until=format_date(valid_until), review_due=format_date(review_due),
        last_review_on=format_date(last_review_on), authority=authority,
        replaced_at=format_date(superseded_at) if superseded_at else "", revoked_on=format_date(revoked_on),
        cancelled_on=format_date(cancelled_on))
    return view, Match(card_id, cert_id, photo_file)


def _normal_number(text: object) -> str:
    return "".join(str(text or "").split()).upper()


def lookup(number: object, name: object) -> Certificate | None:
    """The certificate with exactly this number and this holder's full name (the most recent one)."""
    number, name = _normal_number(number), "".join(str(name or "").split())
    if not number or not name or len(number) > 40 or len(name) > 50:
        return None
    return db.session.scalar(sa.select(Certificate).join(Person, Certificate.person_id == Person.id).where(
        Certificate.number == number, Person.name == name).order_by(Certificate.id.desc()).limit(1))


def bulk_check(rows: list[list[object]], today: dt.date | None = None) -> list[list[str]]:
    """For each (number, name) row: the item, status and dates, or that nothing matched."""
    today = today or local_today()
    out = []
    for row in rows:
        number, name = (list(row) + [None, None])[:2]
        matches = []
        if _normal_number(number) and name:
            matches = db.session.scalars(sa.select(Certificate).join(Person, Certificate.person_id == Person.id).where(
                Certificate.number == _normal_number(number), Person.name == "".join(str(name).split()))
                .order_by(Certificate.item_id, Certificate.id.desc())).all()
        if not matches:
            out.append([str(number or ""), str(name or ""), "", "未找到（证号与姓名不匹配）", "", "", ""])
            continue
        seen = set()
        for cert in matches:
            if cert.item_id in seen:
                continue
            seen.add(cert.item_id)
            status = status_of(cert, today)
            out.append([str(number), str(name), cert.item.name, status.label, format_date(cert.valid_until),
                        format_date(cert.review_due), cert.authority])
    return out


BULK_HEADERS = ["证书编号", "姓名", "操作项目", "状态", "有效期至", "复审日期", "发证机关"]


def cancelled_list(limit: int = 200) -> list[dict]:
    """The public list of cancelled certificates (masked), newest first."""
    certs = db.session.scalars(sa.select(Certificate).where(Certificate.state == CertificateState.CANCELLED)
                               .order_by(Certificate.cancelled_on.desc(), Certificate.id.desc()).limit(limit)).all()
    return [{"name": rules.mask_name(c.person.name), "number": rules.mask_number(c.number, c.person.id_number),
             "item": c.item.name, "cancelled_on": format_date(c.cancelled_on),
             "ground": rules.CANCELLATION[c.cancellation_ground].label if c.cancellation_ground in rules.CANCELLATION
             else ""} for c in certs]
