"""Question types, by registry: each type parses and checks its key and grades a response.

Pure module (no Flask). Keys are stored canonically: judge "T"/"F"; single one letter
("B"); multiple two or more letters in order ("ABD"). Responses are in the same form,
in the original option order (the terminal maps displayed positions back first).
"""
from __future__ import annotations

import string
import unicodedata
from abc import ABC, abstractmethod

LETTERS = string.ascii_uppercase[:8]


class KeyError_(ValueError):
    """A key or response that does not fit the type; str() is a Chinese message."""


class QuestionKind(ABC):
    code = ""
    label = ""
    min_options = 0
    max_options = 0

    @abstractmethod
    def parse_key(self, raw: object, n_options: int) -> str:
        """Canonical key from what an author typed. Raises KeyError_."""

    def normalise_response(self, raw: object, n_options: int) -> str | None:
        """Canonical response, or None for no answer. Raises KeyError_ for an impossible one."""
        if raw in (None, "", []):
            return None
        return self.parse_key(raw, n_options)

    def grade(self, key: str, response: str | None) -> bool:
        """All-or-nothing: right only when the response equals the key."""
        return response is not None and response == key

    def key_label(self, key: str) -> str:
        return key

    def check_options(self, options: list[str]) -> list[str]:
        problems = []
        if not self.min_options <= len(options) <= self.max_options:
            if self.max_options == 0:
                problems.append(f"{self.label}题不应有选项")
            else:
                problems.append(f"{self.label}题应有 {self.min_options}–{self.max_options} 个选项，现有 {len(options)} 个")
        if any(not str(o).strip() for o in options):
            problems.append("选项不能为空")
        normal = [_norm(o) for o in options]
        if len(set(normal)) != len(normal):
            problems.append("有重复的选项")
        return problems


def _norm(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().upper()


def _letters(raw: object, n_options: int) -> str:
    text = _norm(raw).replace(",", "").replace("，", "").replace("、", "").replace(" ", "")
    if not text or any(c not in LETTERS[:n_options] for c in text):
        allowed = LETTERS[:n_options]
        raise KeyError_(f"答案只能由选项字母 {allowed[0]}–{allowed[-1]} 组成，现为“{raw}”")
    if len(set(text)) != len(text):
        raise KeyError_(f"答案“{raw}”中有重复的字母")
    return "".join(sorted(text))


class Judge(QuestionKind):
    code, label = "judge", "判断"
    TRUE = {"T", "对", "正确", "√", "✓", "是", "TRUE", "Y"}
    FALSE = {"F", "错", "错误", "×", "✗", "否", "FALSE", "N", "X"}

    def parse_key(self, raw, n_options=0):
        text = _norm(raw)
        if text in self.TRUE:
            return "T"
        if text in self.FALSE:
            return "F"
        raise KeyError_(f"判断题的答案应为“对”或“错”，现为“{raw}”")

    def key_label(self, key):
        return "对" if key == "T" else "错"


class Single(QuestionKind):
    code, label, min_options, max_options = "single", "单选", 2, 6

    def parse_key(self, raw, n_options):
        key = _letters(raw, n_options)
        if len(key) != 1:
            raise KeyError_(f"单选题只能有一个答案，现为“{raw}”")
        return key


class Multiple(QuestionKind):
    code, label, min_options, max_options = "multiple", "多选", 3, 8

    def parse_key(self, raw, n_options):
        key = _letters(raw, n_options)
        if len(key) < 2:
            raise KeyError_(f"多选题至少有两个答案，现为“{raw}”")
        return key


QUESTION_TYPES: dict[str, QuestionKind] = {k.code: k for k in (Judge(), Single(), Multiple())}
TYPE_BY_LABEL: dict[str, QuestionKind] = {k.label: k for k in QUESTION_TYPES.values()}


def kind(code: str) -> QuestionKind:
    """The registered type for a code ("judge"/"single"/"multiple") or label (判断/单选/多选)."""
    found = QUESTION_TYPES.get(code) or TYPE_BY_LABEL.get(code)
    if found is None:
        raise KeyError_(f"未知题型“{code}”，应为 判断、单选 或 多选")
    return found
