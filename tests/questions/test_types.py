import pytest

from app.questions.types import KeyError_, kind


@pytest.mark.parametrize("raw, key", [("对", "T"), ("√", "T"), ("正确", "T"), ("t", "T"), ("错", "F"), ("×", "F"), ("F", "F")])
def test_judge_keys(raw, key):
    assert kind("判断").parse_key(raw, 0) == key


def test_single_needs_exactly_one_letter_within_the_options():
    single = kind("single")
    assert single.parse_key("ｂ", 4) == "B"
    with pytest.raises(KeyError_, match="只能有一个答案"):
        single.parse_key("AB", 4)
    with pytest.raises(KeyError_, match="A–D"):
        single.parse_key("E", 4)


def test_multiple_needs_two_or_more_and_is_order_free():
    multiple = kind("多选")
    assert multiple.parse_key("D, B、A", 5) == "ABD"
    with pytest.raises(KeyError_, match="至少有两个"):
        multiple.parse_key("A", 5)
    with pytest.raises(KeyError_, match="重复"):
        multiple.parse_key("AAB", 5)


def test_grading_is_all_or_nothing():
    multiple = kind("multiple")
    assert multiple.grade("ABD", "ABD")
    assert not multiple.grade("ABD", "AB")
    assert not multiple.grade("ABD", "ABCD")
    assert not multiple.grade("ABD", None)
    assert kind("judge").grade("T", "T") and not kind("judge").grade("T", "F")


def test_unknown_type():
    with pytest.raises(KeyError_, match="未知题型"):
        kind("填空")
