"""Certificate rules as pure functions: numbers, validity and review dates, the live status,
masking for the public page, and the grounds of revocation and cancellation (DOMAIN.md §6).

No Flask, no database: the services load the facts and pass them in.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from app.scheduling.eligibility import add_years


class LiveStatus(StrEnum):
    """What a verifier is told (computed from the stored state, the dates and today)."""

    VALID = "valid"
    REVIEW_DUE = "review_due"
    EXPIRED = "expired"
    REVOKED = "revoked"
    CANCELLED = "cancelled"
    REPLACED = "replaced"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_good(self) -> bool:
        """The holder may work on this certificate (valid, or valid with a review coming up)."""
        return self in (LiveStatus.VALID, LiveStatus.REVIEW_DUE)


STATUS_LABELS = {
    LiveStatus.VALID: "有效",
    LiveStatus.REVIEW_DUE: "待复审",
    LiveStatus.EXPIRED: "已过期",
    LiveStatus.REVOKED: "已撤销",
    LiveStatus.CANCELLED: "已注销",
    LiveStatus.REPLACED: "已补发",
}


# The statuses a certificate can be filtered by ("replaced" belongs to a card, not a certificate).
CERTIFICATE_STATUSES = (LiveStatus.VALID, LiveStatus.REVIEW_DUE, LiveStatus.EXPIRED, LiveStatus.REVOKED,
                        LiveStatus.CANCELLED)


@dataclass(frozen=True)
class Ground:
    key: str
    label: str
    starts_ban: bool = False


# 30号令 第三十九条 (撤销) and 第四十条 (注销), in the order of the rules.
REVOCATION_GROUNDS = (
    Ground("expired_unreviewed", "超过特种作业操作证有效期未延期复审"),
    Ground("unfit", "特种作业人员的身体条件已不适合继续从事特种作业"),
    Ground("accident", "对发生生产安全事故负有责任"),
    Ground("false_information", "特种作业操作证记载虚假信息", starts_ban=True),
    Ground("deceit", "以欺骗、贿赂等不正当手段取得特种作业操作证", starts_ban=True),
)
CANCELLATION_GROUNDS = (
    Ground("died", "特种作业人员死亡"),
    Ground("requested", "特种作业人员提出注销申请"),
    Ground("revoked", "特种作业操作证被依法撤销"),
)
REVOCATION = {g.key: g for g in REVOCATION_GROUNDS}
CANCELLATION = {g.key: g for g in CANCELLATION_GROUNDS}

DEFAULT_SAFETY_ROLE_FORMAT = "{id_number}"
NUMBER_PLACEHOLDERS = ("id_number", "item_code", "year")


def certificate_number(id_number: str, *, is_special: bool, item_code: str = "", year: int = 0,
                       safety_role_format: str = DEFAULT_SAFETY_ROLE_FORMAT) -> str:
    """The certificate number: "T" + ID number for special operations (§6.1); for 三项岗位 the
    configurable format, with {id_number}, {item_code} and {year}. Raises ValueError for an
    unknown placeholder or a format that does not contain the ID number (numbers must be unique
    per person)."""
    if is_special:
        return "T" + id_number
    if "{id_number}" not in safety_role_format:
        raise ValueError("三项岗位证书编号格式必须包含 {id_number}")
    try:
        number = safety_role_format.format(id_number=id_number, item_code=item_code, year=year)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"三项岗位证书编号格式有误：{exc}；可用的占位符：{{id_number}}、{{item_code}}、{{year}}") from None
    if len(number) > 40:
        raise ValueError("证书编号不能超过 40 个字符")
    return number


@dataclass(frozen=True)
class Dates:
    issued_on: dt.date
    valid_until: dt.date
    review_due: dt.date | None


def initial_dates(issued_on: dt.date, validity_years: int, review_interval_years: int | None) -> Dates:
    """Validity (6 or 3 years) and the first review date (every ``review_interval_years``; none when
    the catalogue sets no interval or one not shorter than the validity, as for 三项岗位)."""
    valid_until = add_years(issued_on, validity_years)
    review_due = None
    if review_interval_years and review_interval_years < validity_years:
        review_due = add_years(issued_on, review_interval_years)
    return Dates(issued_on, valid_until, review_due)


def dates_after_review(issued_on: dt.date, valid_until: dt.date, review_due: dt.date | None, *,
                       validity_years: int, review_interval_years: int, long_interval: bool = False) -> Dates:
    """The dates after a passed review (复审).

    A review before the end of validity moves the review date on by one interval (two with
    ``long_interval``: ≥ 10 years of clean work, approved, §6.1), never past the validity. A review
    at the end of validity (the review date is the last valid day) extends the validity by
    ``validity_years`` (换证) and sets the next review one interval on."""
    step = review_interval_years * (2 if long_interval else 1)
    due = review_due or valid_until
    if due < valid_until:
        new_due = min(add_years(due, step), valid_until)
        return Dates(issued_on, valid_until, new_due)
    new_valid = add_years(valid_until, validity_years)
    new_due = min(add_years(valid_until, step), new_valid)
    return Dates(issued_on, new_valid, new_due)


def live_status(state: str, *, valid_until: dt.date, review_due: dt.date | None, today: dt.date,
                review_window_days: int = 60, superseded: bool = False) -> LiveStatus:
    """Revoked and cancelled win; a superseded card says 已补发; past the validity or past an unmet
    review date it is 已过期 (逾期未复审 makes it invalid); within the review window 待复审."""
    if state == "revoked":
        return LiveStatus.REVOKED
    if state == "cancelled":
        return LiveStatus.CANCELLED
    if superseded:
        return LiveStatus.REPLACED
    if today > valid_until or (review_due is not None and today > review_due):
        return LiveStatus.EXPIRED
    if review_due is not None and today >= review_due - dt.timedelta(days=review_window_days):
        return LiveStatus.REVIEW_DUE
    return LiveStatus.VALID


def next_deadline(valid_until: dt.date, review_due: dt.date | None) -> dt.date:
    """The first date by which the holder must act: the review date, else the end of validity."""
    return min(d for d in (valid_until, review_due) if d is not None)


def due_band(deadline: dt.date, today: dt.date, bands=(30, 60, 90)) -> int | None:
    """The smallest reminder band (30/60/90 days) the deadline falls in, or None."""
    left = (deadline - today).days
    if left < 0:
        return None
    for band in sorted(bands):
        if left <= band:
            return band
    return None


def mask_name(name: str) -> str:
    """张*明 for three characters, 张* for two, 欧**娜 for four: first and last only."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(id_number: str) -> str:
    """First 4 and last 4 characters only: never the birth date (digits 7–14)."""
    value = (id_number or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_number(number: str, id_number: str) -> str:
    """A certificate number with the ID number inside it masked the same way."""
    if id_number and id_number in number:
        return number.replace(id_number, mask_id_number(id_number))
    return mask_id_number(number)


__all__ = ["LiveStatus", "STATUS_LABELS", "CERTIFICATE_STATUSES", "Ground", "REVOCATION_GROUNDS",
           "CANCELLATION_GROUNDS", "REVOCATION", "CANCELLATION", "certificate_number", "Dates", "initial_dates",
           "dates_after_review", "live_status", "next_deadline", "due_band", "mask_name", "mask_id_number",
           "mask_number"]
