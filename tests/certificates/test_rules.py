"""Pure certificate rules: numbers, dates, the live status and masking."""
import datetime as dt

import pytest

from app.certificates import rules
from app.certificates.rules import LiveStatus

D = dt.date


def test_special_operation_number_is_t_plus_id_number():
    assert rules.certificate_number("21090219900517003X", is_special=True) == "T21090219900517003X"


def test_safety_role_number_format_is_configurable_and_must_contain_the_id_number():
    assert rules.certificate_number("210902199005170036", is_special=False) == "210902199005170036"
    assert rules.certificate_number("210902199005170036", is_special=False, item_code="GL-01", year=2026,
                                    safety_role_format="AQ{year}-{item_code}-{id_number}") \
        == "AQ2026-GL-01-210902199005170036"
    with pytest.raises(ValueError, match="id_number"):
        rules.certificate_number("210902199005170036", is_special=False, safety_role_format="AQ{year}")
    with pytest.raises(ValueError, match="占位符"):
        rules.certificate_number("210902199005170036", is_special=False, safety_role_format="{id_number}{nope}")


def test_special_certificate_six_years_review_every_three():
    d = rules.initial_dates(D(2026, 3, 2), 6, 3)
    assert (d.valid_until, d.review_due) == (D(2032, 3, 2), D(2029, 3, 2))


def test_safety_role_certificate_three_years_without_review():
    d = rules.initial_dates(D(2026, 3, 2), 3, None)
    assert (d.valid_until, d.review_due) == (D(2029, 3, 2), None)


def test_leap_day_issue_moves_to_28_february():
    assert rules.initial_dates(D(2024, 2, 29), 6, 3).review_due == D(2027, 2, 28)


def test_review_before_the_end_moves_the_review_date_to_the_end_of_validity():
    d = rules.dates_after_review(D(2026, 3, 2), D(2032, 3, 2), D(2029, 3, 2), validity_years=6, review_interval_years=3)
    assert (d.valid_until, d.review_due) == (D(2032, 3, 2), D(2032, 3, 2))


def test_review_at_the_end_of_validity_extends_it_by_six_years():
    d = rules.dates_after_review(D(2026, 3, 2), D(2032, 3, 2), D(2032, 3, 2), validity_years=6, review_interval_years=3)
    assert (d.valid_until, d.review_due) == (D(2038, 3, 2), D(2035, 3, 2))


def test_long_interval_review_never_goes_past_validity():
    d = rules.dates_after_review(D(2026, 3, 2), D(2032, 3, 2), D(2029, 3, 2), validity_years=6, review_interval_years=3,
                                 long_interval=True)
    assert d.review_due == D(2032, 3, 2)


@pytest.mark.parametrize("state, today, superseded, expected", [
    ("issued", D(2027, 1, 1), False, LiveStatus.VALID),
    ("issued", D(2029, 1, 1), False, LiveStatus.REVIEW_DUE),     # within 60 days of the review date
    ("issued", D(2029, 3, 2), False, LiveStatus.REVIEW_DUE),     # the review date itself
    ("issued", D(2029, 3, 3), False, LiveStatus.EXPIRED),        # review missed
    ("issued", D(2027, 1, 1), True, LiveStatus.REPLACED),
    ("revoked", D(2027, 1, 1), True, LiveStatus.REVOKED),
    ("cancelled", D(2027, 1, 1), False, LiveStatus.CANCELLED),
])
def test_live_status(state, today, superseded, expected):
    status = rules.live_status(state, valid_until=D(2032, 3, 2), review_due=D(2029, 3, 2), today=today,
                               superseded=superseded)
    assert status is expected
    assert status.label == {"valid": "有效", "review_due": "待复审", "expired": "已过期", "revoked": "已撤销",
                            "cancelled": "已注销", "replaced": "已补发"}[status.value]


def test_expiry_without_review_date():
    assert rules.live_status("issued", valid_until=D(2029, 3, 2), review_due=None, today=D(2029, 3, 3)) \
        is LiveStatus.EXPIRED


@pytest.mark.parametrize("left, band", [(0, 30), (30, 30), (31, 60), (60, 60), (90, 90), (91, None), (-1, None)])
def test_due_bands(left, band):
    today = D(2026, 1, 1)
    assert rules.due_band(today + dt.timedelta(days=left), today) == band


@pytest.mark.parametrize("name, masked", [("张晓明", "张*明"), ("张明", "张*"), ("欧阳娜娜", "欧**娜"), ("王", "*"),
                                          ("", "*")])
def test_mask_name(name, masked):
    assert rules.mask_name(name) == masked


def test_mask_id_number_hides_the_birth_date():
    masked = rules.mask_id_number("21090219900517003X")
    assert masked == "2109**********003X"
    assert "19900517" not in masked and "199005" not in masked
    assert rules.mask_number("T21090219900517003X", "21090219900517003X") == "T2109**********003X"
