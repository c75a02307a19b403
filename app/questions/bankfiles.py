"""Reading and checking question files: YAML (the shipped bank), CSV and XLSX (uploads).

Pure except for reading the bytes it is given; `check_bank` is what `flask questions check`
prints and exits on.
"""
from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.core.errors import DomainError
from app.core.xlsx import read_table
from app.questions.records import TABLE_COLUMNS, Parsed, RowError, build_record, normalise_stem
from app.questions.types import kind

BANK_DIR = Path(__file__).resolve().parents[2] / "question_bank"


def load_yaml(data: bytes | str, name: str) -> object:
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise DomainError(f"{name} 不是有效的 YAML 文件{where}：{getattr(exc, 'problem', exc)}") from None


def parse_yaml_questions(data: bytes | str, name: str = "文件") -> tuple[str | None, Parsed]:
    """A questions file: {subject, questions: [...]} or a bare list. Returns (subject, parsed)."""
    doc = load_yaml(data, name)
    subject = None
    if isinstance(doc, dict):
        subject = doc.get("subject")
        items = doc.get("questions")
    else:
        items = doc
    parsed = Parsed()
    if not isinstance(items, list) or not items:
        parsed.errors.append(RowError(name, "", "文件中没有题目（应有 questions: 列表）"))
        return subject, parsed
    for i, raw in enumerate(items, start=1):
        where = f"{name} 第 {i} 题" + (f"（{raw.get('id')}）" if isinstance(raw, dict) and raw.get("id") else "")
        if not isinstance(raw, dict):
            parsed.errors.append(RowError(where, "", "题目格式不正确"))
            continue
        rec, errs = build_record(raw, where, [subject] if subject else None)
        parsed.errors.extend(errs)
        if rec:
            parsed.records.append(rec)
    return subject, parsed


def parse_table_questions(filename: str, data: bytes, *, max_rows: int = 20000) -> Parsed:
    """CSV or XLSX with the TABLE_COLUMNS header; errors by spreadsheet row and column."""
    rows = read_table(filename, data, max_rows=max_rows, max_cols=len(TABLE_COLUMNS) + 5)
    parsed = Parsed()
    if not rows:
        parsed.errors.append(RowError(1, "", "文件是空的"))
        return parsed
    header = [str(h or "").strip() for h in rows[0]]
    missing = [c for c in TABLE_COLUMNS if c not in header and c != "编号" and not c.startswith("选项")]
    if missing:
        parsed.errors.extend(RowError(1, c, f"缺少“{c}”列，请使用导入模板") for c in missing)
        return parsed
    col = {name: header.index(name) for name in TABLE_COLUMNS if name in header}

    def cell(row, name):
        i = col.get(name)
        value = row[i] if i is not None and i < len(row) else None
        return None if value is None else str(value).strip()

    for n, row in enumerate(rows[1:], start=2):
        raw = {"type": cell(row, "题型"), "stem": cell(row, "题干"),
               "options": [cell(row, c) for c in TABLE_COLUMNS if c.startswith("选项")],
               "answer": cell(row, "答案"), "explanation": cell(row, "解析"), "knowledge_point": cell(row, "知识点"),
               "difficulty": cell(row, "难度"), "items": cell(row, "适用项目"), "source": cell(row, "来源"),
               "pool": cell(row, "题库"), "id": cell(row, "编号")}
        rec, errs = build_record(raw, n)
        parsed.errors.extend(errs)
        if rec:
            parsed.records.append(rec)
    return parsed


def parse_upload(filename: str, data: bytes) -> Parsed:
    """Any accepted upload: .yaml/.yml, .csv, .xlsx."""
    lower = (filename or "").lower()
    if lower.endswith((".yaml", ".yml")):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError("YAML 文件必须是 UTF-8 编码") from None
        return parse_yaml_questions(text, filename)[1]
    return parse_table_questions(filename, data)


def duplicate_errors(records) -> list[RowError]:
    """Stems equal after normalising punctuation and spaces within one subject (the same
    general question may serve several subjects' banks), and repeated ids anywhere."""
    errors, stems, keys = [], {}, {}
    for rec in records:
        norm = (rec.items[0] if rec.items else "", normalise_stem(rec.stem))
        if norm in stems:
            errors.append(RowError(rec.row, "题干", f"与 {stems[norm]} 的题干重复"))
        else:
            stems[norm] = rec.row
        if rec.external_key in keys:
            errors.append(RowError(rec.row, "编号", f"编号 {rec.external_key} 与 {keys[rec.external_key]} 重复"))
        else:
            keys[rec.external_key] = rec.row
    return errors


# ---- knowledge points ----------------------------------------------------------------------

def parse_knowledge_points(data: bytes | str, name: str = "文件") -> tuple[str, list[str]]:
    """(subject, leaf paths "一级/二级" in file order). Raises DomainError on a bad file."""
    doc = load_yaml(data, name)
    if not isinstance(doc, dict) or not doc.get("subject") or not isinstance(doc.get("knowledge_points"), list):
        raise DomainError(f"{name}：知识点文件应包含 subject 和 knowledge_points")
    leaves = []
    for top in doc["knowledge_points"]:
        if not isinstance(top, dict) or not top.get("name"):
            raise DomainError(f"{name}：一级知识点缺少 name")
        children = top.get("children") or []
        if not children:
            leaves.append(str(top["name"]).strip())
        for child in children:
            child_name = child.get("name") if isinstance(child, dict) else child
            leaves.append(f"{str(top['name']).strip()}/{str(child_name).strip()}")
    if len(set(leaves)) != len(leaves):
        raise DomainError(f"{name}：有重复的知识点")
    return str(doc["subject"]).strip(), leaves


# ---- the checker ---------------------------------------------------------------------------

@dataclass
class FileReport:
    path: str
    subject: str | None
    problems: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # (type label, pool name, difficulty) -> n


def _shares(records) -> list[str]:
    problems = []
    judges = [r for r in records if r.qtype == "judge"]
    if judges:
        share = sum(r.answer == "T" for r in judges) / len(judges)
        if not 0.40 <= share <= 0.60:
            problems.append(f"判断题答案为“对”的占 {share:.0%}，应在 40%–60% 之间")
    singles = [r for r in records if r.qtype == "single"]
    if singles:
        letters = Counter(r.answer for r in singles)
        for letter in sorted({c for r in singles for c in "ABCDEF"[:len(r.options)]}):
            share = letters.get(letter, 0) / len(singles)
            if not 0.15 <= share <= 0.35:
                problems.append(f"单选题答案为 {letter} 的占 {share:.0%}，应在 15%–35% 之间")
    return problems


def check_file(path: Path, kp_dir: Path) -> FileReport:
    """Check one questions file against its subject's knowledge-point list."""
    report = FileReport(str(path), None)
    try:
        subject, parsed = parse_yaml_questions(path.read_text(encoding="utf-8"), path.name)
    except (DomainError, OSError, UnicodeDecodeError) as exc:
        report.problems.append(getattr(exc, "message", str(exc)))
        return report
    report.subject = subject
    if not subject:
        report.problems.append("缺少 subject（考核项目）")
    report.problems.extend(str(e) for e in parsed.errors)
    report.problems.extend(str(e) for e in duplicate_errors(parsed.records))
    leaves = _leaves_for(kp_dir / path.name, report)
    for rec in parsed.records:
        if leaves is not None and rec.knowledge_point not in leaves:
            report.problems.append(f"{rec.row}「知识点」：“{rec.knowledge_point}”不在 {path.name} 的知识点列表中")
        report.counts[(kind(rec.qtype).label, {"exam": "考试", "practice": "练习", "public": "公众"}[rec.pool],
                       rec.difficulty)] += 1
    report.problems.extend(_shares(parsed.records))
    return report


def _leaves_for(kp_path: Path, report: FileReport) -> set[str] | None:
    if not kp_path.exists():
        report.problems.append(f"缺少知识点文件 {kp_path}")
        return None
    try:
        kp_subject, leaves = parse_knowledge_points(kp_path.read_text(encoding="utf-8"), kp_path.name)
    except DomainError as exc:
        report.problems.append(exc.message)
        return None
    if report.subject and kp_subject != report.subject:
        report.problems.append(f"知识点文件的 subject（{kp_subject}）与题目文件（{report.subject}）不一致")
    return set(leaves)


def bank_files(path: Path) -> tuple[list[Path], Path]:
    """(question files, knowledge-point folder) for a bank folder or a single file."""
    path = Path(path)
    if path.is_file():
        return [path], path.parent.parent / "knowledge_points"
    qdir = path / "questions" if (path / "questions").is_dir() else path
    return sorted(qdir.glob("*.yaml")), qdir.parent / "knowledge_points"


def read_bank(path: Path) -> tuple[list[tuple[str, list[str]]], Parsed]:
    """Knowledge-point lists and all question records of a bank folder, or of one upload file."""
    path = Path(path)
    if path.is_file():
        return [], parse_upload(path.name, path.read_bytes())
    files, kp_dir = bank_files(path)
    kp_lists = [parse_knowledge_points(p.read_text(encoding="utf-8"), p.name) for p in sorted(kp_dir.glob("*.yaml"))]
    parsed = Parsed()
    for f in files:
        _subject, one = parse_yaml_questions(f.read_text(encoding="utf-8"), f.name)
        parsed.records += one.records
        parsed.errors += one.errors
    return kp_lists, parsed


def check_bank(path: Path = BANK_DIR) -> list[FileReport]:
    files, kp_dir = bank_files(path)
    if not files:
        report = FileReport(str(path), None)
        report.problems.append("没有找到题目文件（*.yaml）")
        return [report]
    return [check_file(f, kp_dir) for f in files]


def format_counts(report: FileReport) -> list[str]:
    """Lines 'pool type: total (难度1 a / 难度2 b / 难度3 c)' for the checker's output."""
    grouped: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for (tlabel, pool, diff), n in report.counts.items():
        grouped[(pool, tlabel)][diff] = n
    lines = []
    pools, types = ["考试", "练习", "公众"], ["判断", "单选", "多选"]
    for (pool, tlabel) in sorted(grouped, key=lambda k: (pools.index(k[0]), types.index(k[1]))):
        d = grouped[(pool, tlabel)]
        lines.append(f"  {pool} {tlabel}：{sum(d.values())}（难度1 {d.get(1, 0)} / 难度2 {d.get(2, 0)} / 难度3 {d.get(3, 0)}）")
    return lines


__all__ = ["parse_yaml_questions", "parse_table_questions", "parse_upload", "parse_knowledge_points",
           "check_bank", "check_file", "format_counts", "duplicate_errors", "BANK_DIR", "io"]
