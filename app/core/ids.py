"""Citizen ID numbers (GB 11643) and unified social credit codes (GB 32100).

Pure functions, no Flask: they normalise what people type or paste from Excel and
refuse what cannot be right, each refusal with its own message.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")  # birth dates and ages are Chinese calendar dates

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# First two digits: province-level division codes (GB/T 2260), incl. 71/81/82 and 83
# (residence permits for Taiwan residents share the 83 prefix).
PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
}
_SCI_NOTATION = re.compile(r"^[0-9](\.[0-9]+)?[eE][+]?[0-9]+$")

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class IdNumberError(ValueError):
    """The text is not a valid 18-digit citizen ID number; str() says why, in Chinese."""


class CreditCodeError(ValueError):
    """The text is not a valid unified social credit code; str() says why, in Chinese."""


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: dt.date
    sex: str  # "男" / "女"
    region: str


def _clean(raw: object) -> str:
    text = "" if raw is None else str(raw)
    # NFKC turns full-width digits and letters (１２３Ｘ) into ASCII; spaces of any kind go.
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).upper()


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def parse_id_number(raw: object, *, today: dt.date | None = None) -> IdInfo:
    """Normalise and validate an ID number.

    Accepts full-width digits, a lower-case x and stray spaces. Raises IdNumberError
    for Excel's scientific notation, 15-digit numbers, a wrong length or character,
    an impossible birth date, an unknown region or a wrong check digit.
    Returns the normalised number with its birth date and sex.
    """
    if isinstance(raw, float):
        raise IdNumberError("身份证号码被 Excel 存成了数字（会变成 4.2E+17 并丢失末尾几位），请把该列设为“文本”格式后重新填写")
    text = _clean(raw)
    if not text:
        raise IdNumberError("请填写身份证号码")
    if _SCI_NOTATION.match(text):
        raise IdNumberError("身份证号码被 Excel 转成了科学计数法（如 4.2E+17），末尾几位已丢失；请把该列设为“文本”格式后重新填写")
    if len(text) == 15 and text.isdigit():
        raise IdNumberError("不受理15位旧身份证号码，请填写18位公民身份号码")
    if len(text) != 18:
        raise IdNumberError(f"身份证号码应为18位，现在是{len(text)}位")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise IdNumberError("身份证号码前17位必须是数字，最后一位是数字或 X")
    if text[:2] not in PROVINCE_CODES:
        raise IdNumberError("身份证号码前两位不是有效的省级行政区划代码")
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise IdNumberError("身份证号码中的出生日期不是真实存在的日期") from None
    today = today or dt.datetime.now(LOCAL).date()
    if birth > today or birth.year < 1900:
        raise IdNumberError("身份证号码中的出生日期不合理")
    if id_check_char(text[:17]) != text[17]:
        raise IdNumberError("身份证号码校验位不正确，请核对是否有数字抄错")
    sex = "男" if int(text[16]) % 2 == 1 else "女"
    return IdInfo(number=text, birth_date=birth, sex=sex, region=text[:6])


def normalise_id_number(raw: object) -> str:
    """The normalised ID number, or IdNumberError."""
    return parse_id_number(raw).number


def mask_id_number(number: str) -> str:
    """First 4 and last 4 characters only: never the birth date (digits 7–14)."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """张*明 / 李* / 欧阳**: keep the first and (for 3+ characters) the last character."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def normalise_credit_code(raw: object) -> str:
    """Normalise and validate a unified social credit code (18 characters, GB 32100 check).

    Raises CreditCodeError with the reason; returns the upper-cased code.
    """
    text = _clean(raw)
    if not text:
        raise CreditCodeError("请填写统一社会信用代码")
    if len(text) != 18:
        raise CreditCodeError(f"统一社会信用代码应为18位，现在是{len(text)}位")
    bad = sorted({c for c in text if c not in CREDIT_CHARS})
    if bad:
        raise CreditCodeError("统一社会信用代码含有不允许的字符：" + "、".join(bad) + "（不使用 I、O、Z、S、V）")
    if credit_check_char(text[:17]) != text[17]:
        raise CreditCodeError("统一社会信用代码校验位不正确，请核对")
    return text
