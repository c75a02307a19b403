"""Question records as read from files or forms, their validation, and the stem normaliser.

Pure module: no Flask, no database. Every problem is a RowError with the place (row
number or question id), the column and a Chinese message.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field

import nh3

from app.questions.types import LETTERS, KeyError_, kind

POOLS = {"考试": "exam", "练习": "practice", "公众": "public", "exam": "exam", "practice": "practice", "public": "public"}
POOL_NAMES = {"exam": "考试", "practice": "练习", "public": "公众"}
SOURCES = ("国家级", "省级", "市级")
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "sub", "sup", "br"}
OPTION_COLUMNS = [f"选项{c}" for c in LETTERS[:6]]
TABLE_COLUMNS = ["题型", "题干", *OPTION_COLUMNS, "答案", "解析", "知识点", "难度", "适用项目", "来源", "题库", "编号"]


@dataclass
class RowError:
    row: int | str
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if isinstance(self.row, int) else str(self.row)
        return f"{where}「{self.column}」：{self.message}" if self.column else f"{where}：{self.message}"


@dataclass
class QuestionRecord:
    external_key: str
    qtype: str
    stem: str
    options: list[str]
    answer: str
    explanation: str
    knowledge_point: str
    difficulty: int
    items: list[str]
    source: str
    pool: str
    row: int | str = ""
    has_key: bool = True

    def content_hash(self) -> str:
        """Hash of what a candidate sees and is graded on, plus the metadata that versions carry."""
        payload = [self.qtype, self.stem, self.options, self.answer, self.explanation, self.knowledge_point,
                   self.difficulty, self.source]
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def clean_text(raw: object) -> str:
    """NFC text with only harmless inline tags kept (nh3): no script survives."""
    text = "" if raw is None else str(raw)
    text = unicodedata.normalize("NFC", text).strip()
    return nh3.clean(text, tags=ALLOWED_TAGS, attributes={}).strip()


def normalise_stem(stem: str) -> str:
    """For duplicate detection: NFKC, tags removed, punctuation, symbols and spaces dropped."""
    text = re.sub(r"<[^>]*>", "", unicodedata.normalize("NFKC", stem))
    return "".join(c for c in text.lower() if unicodedata.category(c)[0] not in "PZSC")


def key_from_stem(stem: str) -> str:
    return "H-" + hashlib.sha1(normalise_stem(stem).encode()).hexdigest()[:12].upper()


@dataclass
class Parsed:
    records: list[QuestionRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def build_record(raw: dict, row: int | str,
                 default_items: list[str] | None = None) -> tuple[QuestionRecord | None, list[RowError]]:
    """Validate one raw question (keys: type, stem, options, answer, explanation, knowledge_point,
    difficulty, items, source, pool, id) and return (record, errors)."""
    errs: list[RowError] = []

    def err(column, message):
        errs.append(RowError(row, column, message))

    try:
        qkind = kind(str(raw.get("type") or "").strip())
    except KeyError_ as exc:
        err("题型", str(exc))
        qkind = None
    stem = clean_text(raw.get("stem"))
    if not stem:
        err("题干", "题干不能为空")
    elif len(stem) > 2000:
        err("题干", "题干过长（最多 2000 字）")
    options = [clean_text(o) for o in (raw.get("options") or []) if o is not None and str(o).strip() != ""]
    answer = ""
    if qkind is not None:
        for problem in qkind.check_options(options):
            err("选项", problem)
        try:
            answer = qkind.parse_key(raw.get("answer"), len(options))
        except KeyError_ as exc:
            err("答案", str(exc))
    explanation = clean_text(raw.get("explanation"))
    if not explanation:
        err("解析", "每道题都必须有解析")
    kp = re.sub(r"\s*/\s*", "/", str(raw.get("knowledge_point") or "").strip())
    if not kp:
        err("知识点", "请填写知识点（如 一级/二级）")
    difficulty = _int(raw.get("difficulty"))
    if difficulty not in (1, 2, 3):
        err("难度", "难度应为 1、2 或 3")
    items = _split_items(raw.get("items")) or list(default_items or [])
    if not items:
        err("适用项目", "请填写适用的考核项目")
    source = str(raw.get("source") or "").strip()
    if source not in SOURCES:
        err("来源", "来源应为 国家级、省级 或 市级")
    pool = POOLS.get(str(raw.get("pool") or "").strip())
    if pool is None:
        err("题库", "题库应为 考试、练习 或 公众")
    key = str(raw.get("id") or "").strip().upper()
    if key and not re.fullmatch(r"[A-Z0-9][A-Z0-9_\-]{0,49}", key):
        err("编号", "编号只能由字母、数字、下划线和连字符组成，最长 50 位")
    if errs:
        return None, errs
    return QuestionRecord(external_key=key or key_from_stem(stem), qtype=qkind.code, stem=stem, options=options,
                          answer=answer, explanation=explanation, knowledge_point=kp, difficulty=difficulty,
                          items=items, source=source, pool=pool, row=row, has_key=bool(key)), []


def _int(value) -> int | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _split_items(value) -> list[str]:
    if value is None:
        return []
    parts = value if isinstance(value, list) else re.split(r"[;；]", str(value))
    out = []
    for p in parts:
        name = unicodedata.normalize("NFC", str(p)).strip().replace("(", "（").replace(")", "）")
        if name and name not in out:
            out.append(name)
    return out


def record_to_row(rec: QuestionRecord) -> list:
    """The record as a row of TABLE_COLUMNS (export)."""
    qkind = kind(rec.qtype)
    opts = rec.options + [""] * (len(OPTION_COLUMNS) - len(rec.options))
    return [qkind.label, rec.stem, *opts, qkind.key_label(rec.answer), rec.explanation, rec.knowledge_point,
            rec.difficulty, ";".join(rec.items), rec.source, POOL_NAMES[rec.pool], rec.external_key]


def record_to_yaml_dict(rec: QuestionRecord, subject: str | None = None) -> dict:
    qkind = kind(rec.qtype)
    out = {"id": rec.external_key, "type": qkind.label, "pool": POOL_NAMES[rec.pool], "difficulty": rec.difficulty,
           "source": rec.source, "knowledge_point": rec.knowledge_point, "stem": rec.stem}
    if rec.options:
        out["options"] = list(rec.options)
    out["answer"] = qkind.key_label(rec.answer)
    out["explanation"] = rec.explanation
    if subject is None or rec.items != [subject]:
        out["items"] = list(rec.items)
    return out
