import datetime as dt

import pytest

from app.core.ids import (
    CreditCodeError,
    IdNumberError,
    credit_check_char,
    id_check_char,
    mask_id_number,
    mask_name,
    normalise_credit_code,
    parse_id_number,
)

VALID = "11010519491231002X"  # the GB 11643 worked example


def test_valid_number_gives_birth_date_and_sex():
    info = parse_id_number(VALID)
    assert info.number == VALID
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.sex == "女"  # 17th digit 2 is even


def test_lower_case_x_full_width_digits_and_spaces_are_normalised():
    full_width = "１１０１０５１９４９１２３１００２ｘ"
    assert parse_id_number(full_width).number == VALID
    assert parse_id_number(" 110105 19491231 002x ").number == VALID


@pytest.mark.parametrize("raw, fragment", [
    ("", "请填写"),
    ("110105491231002", "15位"),
    ("4.2E+17", "科学计数法"),
    ("4.20105E+17", "科学计数法"),
    (4.2e17, "存成了数字"),
    ("11010519491231002", "应为18位"),
    ("1101051949123100XX", "前17位"),
    ("99010519491231002X", "省级行政区划"),
    ("110105194902300028", "出生日期"),
    ("110105194912310021", "校验位"),
])
def test_each_bad_number_has_its_own_message(raw, fragment):
    with pytest.raises(IdNumberError) as err:
        parse_id_number(raw)
    assert fragment in str(err.value)


def test_birth_date_in_the_future_is_refused():
    first17 = "21090220990101001"
    with pytest.raises(IdNumberError, match="出生日期"):
        parse_id_number(first17 + id_check_char(first17))


def test_masking_never_shows_birth_digits():
    masked = mask_id_number(VALID)
    assert masked == "1101**********002X"
    assert "19491231" not in masked
    assert mask_name("张三明") == "张*明"
    assert mask_name("李四") == "李*"
    assert mask_name("欧阳娜娜") == "欧**娜"


def test_credit_code_check_character():
    first17 = "91350100M000100Y4"
    code = first17 + credit_check_char(first17)
    assert normalise_credit_code(code.lower()) == code
    wrong = first17 + ("0" if code[-1] != "0" else "1")
    with pytest.raises(CreditCodeError, match="校验位"):
        normalise_credit_code(wrong)


def test_known_real_format_credit_code():
    # Published example code of a registered company format: checks GB 32100 arithmetic.
    assert normalise_credit_code("91350100M000100Y43") == "91350100M000100Y43"


@pytest.mark.parametrize("raw, fragment", [("", "请填写"), ("9135010", "应为18位"), ("91350100M000100YIO", "不允许")])
def test_credit_code_errors(raw, fragment):
    with pytest.raises(CreditCodeError, match=fragment):
        normalise_credit_code(raw)
