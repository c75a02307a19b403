"""Practical-exam rubrics (实操评分表): reading and checking ``question_bank/rubrics/<slug>.yaml``.

Pure: no Flask, no database. The checker is given the catalogue facts it compares against
(read from ``question_bank/catalog.yaml`` by ``catalogue_facts``), so ``flask rubrics check``
works before any database exists. The format is documented in ``question_bank/rubrics/FORMAT.md``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

RUBRIC_DIR = Path(__file__).resolve().parents[2] / "question_bank" / "rubrics"
CATALOG_FILE = Path(__file__).resolve().parents[2] / "question_bank" / "catalog.yaml"

# DOMAIN.md §4.1: the four subjects, in order.
SUBJECTS = (("K1", "安全用具使用"), ("K2", "安全操作技术"), ("K3", "作业现场安全隐患排除"), ("K4", "作业现场应急处置"))
KIND_SPECIAL = "特种作业"

TOP_KEYS = {"item", "version", "pass_mark", "duration_minutes", "weights_confirmed", "note", "subjects"}
TOP_REQUIRED = TOP_KEYS - {"note"}
SUBJECT_KEYS = {"code", "name", "weight", "tasks"}
TASK_KEYS = {"code", "name", "time_limit_minutes", "description", "equipment", "points", "vetoes"}
TASK_REQUIRED = TASK_KEYS - {"equipment", "vetoes"}
POINT_KEYS = {"code", "step", "max", "criteria", "deductions"}
POINT_REQUIRED = POINT_KEYS - {"deductions"}
DEDUCTION_KEYS = {"text", "points"}
VETO_KEYS = {"code", "text"}

_CJK = re.compile(r"[\u3400-\u9fff]")


# ---- the parsed rubric ------------------------------------------------------------------------

@dataclass(frozen=True)
class Deduction:
    text: str
    points: int


@dataclass(frozen=True)
class Point:
    code: str
    step: str
    max: int
    criteria: str
    deductions: tuple[Deduction, ...] = ()


@dataclass(frozen=True)
class Veto:
    code: str
    text: str


@dataclass(frozen=True)
class Task:
    code: str
    name: str
    time_limit_minutes: int
    description: str
    points: tuple[Point, ...]
    vetoes: tuple[Veto, ...] = ()
    equipment: tuple[str, ...] = ()

    def point(self, code: str) -> Point | None:
        """The scoring point with this code, or None."""
        return next((p for p in self.points if p.code == code), None)

    def veto(self, code: str) -> Veto | None:
        """The veto item with this code, or None."""
        return next((v for v in self.vetoes if v.code == code), None)


@dataclass(frozen=True)
class Subject:
    code: str
    name: str
    weight: int
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class Rubric:
    item: str
    version: int
    pass_mark: int
    duration_minutes: int
    weights_confirmed: bool
    subjects: tuple[Subject, ...]
    note: str = ""

    def task(self, code: str) -> Task | None:
        """The task with this code (any subject), or None."""
        return next((t for s in self.subjects for t in s.tasks if t.code == code), None)

    def subject(self, code: str) -> Subject | None:
        """The subject with this code, or None."""
        return next((s for s in self.subjects if s.code == code), None)

    def subject_of(self, task_code: str) -> Subject | None:
        """The subject whose pool holds ``task_code``, or None."""
        return next((s for s in self.subjects if any(t.code == task_code for t in s.tasks)), None)


def rubric_from_dict(doc: dict) -> Rubric:
    """Build a Rubric from a document that passed ``check_document`` (or a stored snapshot of one)."""
    subjects = []
    for s in doc["subjects"]:
        tasks = []
        for t in s["tasks"]:
            points = tuple(Point(p["code"], p["step"], int(p["max"]), str(p.get("criteria", "")),
                                 tuple(Deduction(d["text"], int(d["points"])) for d in p.get("deductions") or []))
                           for p in t["points"])
            tasks.append(Task(t["code"], t["name"], int(t["time_limit_minutes"]), str(t.get("description", "")),
                              points, tuple(Veto(v["code"], v["text"]) for v in t.get("vetoes") or []),
                              tuple(str(e) for e in t.get("equipment") or [])))
        subjects.append(Subject(s["code"], s["name"], int(s["weight"]), tuple(tasks)))
    return Rubric(item=doc["item"], version=int(doc["version"]), pass_mark=int(doc["pass_mark"]),
                  duration_minutes=int(doc["duration_minutes"]), weights_confirmed=bool(doc["weights_confirmed"]),
                  subjects=tuple(subjects), note=str(doc.get("note") or ""))


# ---- catalogue facts --------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemFacts:
    """What the catalogue file says about an item that a rubric must agree with."""

    name: str
    kind: str
    practical_required: bool = False
    weights: tuple[int, ...] | None = None
    minutes: int | None = None
    rubric: str = ""


def catalogue_facts(path: Path = CATALOG_FILE) -> dict[str, ItemFacts]:
    """Every catalogue item by name, from the catalogue file (special operations and 三项岗位)."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out: dict[str, ItemFacts] = {}
    for cat in doc.get("special_operations") or []:
        for it in cat.get("items") or []:
            weights = it.get("practical_weights")
            out[it["name"]] = ItemFacts(it["name"], KIND_SPECIAL, bool(it.get("practical_required")),
                                        tuple(weights) if weights else None, it.get("practical_minutes"),
                                        it.get("rubric") or "")
    for group in (doc.get("safety_roles") or {}).get("by_industry") or []:
        for it in group.get("items") or []:
            out[it["name"]] = ItemFacts(it["name"], "三项岗位")
    return out


# ---- the checker ------------------------------------------------------------------------------

@dataclass
class RubricReport:
    """What ``check_file`` found in one file: errors refuse it, warnings are shown."""

    path: Path
    item: str = ""
    version: int | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # subject code → tasks in its pool
    document: dict | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Checker:
    """Collects every problem of one document (not just the first), each naming where it is."""

    def __init__(self, report: RubricReport, catalogue: dict[str, ItemFacts]):
        self.report, self.catalogue = report, catalogue
        self.codes: dict[str, str] = {}

    def error(self, where: str, message: str) -> None:
        self.report.errors.append(f"{where}：{message}" if where else message)

    def keys(self, where: str, obj, allowed: set[str], required: set[str]) -> bool:
        if not isinstance(obj, dict):
            self.error(where, "应为键值对（映射）")
            return False
        for key in sorted(set(obj) - allowed, key=str):
            self.error(where, f"未知的键“{key}”（允许：{'、'.join(sorted(allowed))}）")
        for key in sorted(required - set(obj)):
            self.error(where, f"缺少“{key}”")
        return True

    def text(self, where: str, value, name: str) -> None:
        if not isinstance(value, str) or not value.strip():
            self.error(where, f"{name}不能为空")
        elif not _CJK.search(value):
            self.error(where, f"{name}应为中文：{value!r}")

    def positive_int(self, where: str, value, name: str) -> bool:
        if not _is_int(value) or value <= 0:
            self.error(where, f"{name}应为正整数，现为 {value!r}")
            return False
        return True

    def unique(self, where: str, code) -> None:
        if not isinstance(code, str) or not code.strip():
            self.error(where, "编码（code）不能为空")
            return
        if code in self.codes:
            self.error(where, f"编码 {code} 重复（已用于 {self.codes[code]}）")
        else:
            self.codes[code] = where

    def document(self, doc) -> None:
        if not self.keys("", doc, TOP_KEYS, TOP_REQUIRED):
            return
        self.item(doc.get("item"))
        self.report.version = doc.get("version") if _is_int(doc.get("version")) else None
        self.positive_int("version", doc.get("version"), "版本号")
        mark = doc.get("pass_mark")
        if not _is_int(mark) or not 0 < mark <= 100:
            self.error("pass_mark", f"合格分数线应为 1–100 的整数，现为 {mark!r}")
        duration = doc.get("duration_minutes")
        if not self.positive_int("duration_minutes", duration, "考试时长（分钟）"):
            duration = None
        if not isinstance(doc.get("weights_confirmed"), bool):
            self.error("weights_confirmed", "应为 true 或 false")
        if "note" in doc and doc["note"] is not None:
            self.text("note", doc["note"], "说明")
        self.subjects(doc.get("subjects"), duration)
        self.against_catalogue(doc, duration)

    def item(self, name) -> None:
        if not isinstance(name, str) or not name.strip():
            self.error("item", "操作项目名称不能为空")
            return
        self.report.item = name
        facts = self.catalogue.get(name)
        if facts is None:
            self.error("item", f"“{name}”不在考核项目目录（question_bank/catalog.yaml）中")
        elif facts.kind != KIND_SPECIAL:
            self.error("item", f"“{name}”不是特种作业操作项目，不设实际操作评分表")
        elif not facts.practical_required:
            self.error("item", f"目录中“{name}”不需要实际操作考试")

    def subjects(self, subjects, duration: int | None) -> None:
        if not isinstance(subjects, list):
            self.error("subjects", "应为 K1–K4 四个科目的列表")
            return
        codes = [s.get("code") if isinstance(s, dict) else None for s in subjects]
        if codes != [c for c, _n in SUBJECTS]:
            self.error("subjects", f"科目应依次为 K1、K2、K3、K4，现为 {codes}")
        weights = []
        for i, subject in enumerate(subjects):
            where = f"科目 {codes[i] or i + 1}"
            if not self.keys(where, subject, SUBJECT_KEYS, SUBJECT_KEYS):
                continue
            expected = dict(SUBJECTS).get(subject.get("code"))
            if expected and subject.get("name") != expected:
                self.error(where, f"名称应为“{expected}”，现为“{subject.get('name')}”")
            weight = subject.get("weight")
            if not _is_int(weight) or weight < 0:
                self.error(where, f"权重应为非负整数，现为 {weight!r}")
            else:
                weights.append(weight)
            self.tasks(where, subject, duration)
        if len(weights) == len(subjects) and sum(weights) != 100:
            self.error("subjects", f"四个科目的权重之和应为 100，现为 {sum(weights)}（{'/'.join(map(str, weights))}）")

    def tasks(self, where: str, subject: dict, duration: int | None) -> None:
        tasks = subject.get("tasks")
        code = str(subject.get("code") or "")
        if not isinstance(tasks, list) or not tasks:
            self.error(where, "题库（tasks）至少要有 1 道题")
            return
        self.report.counts[code] = len(tasks)
        if len(tasks) < 2:
            self.report.warnings.append(f"{where}：只有 1 道题，抽题没有选择余地")
        for i, task in enumerate(tasks):
            tcode = task.get("code") if isinstance(task, dict) else None
            twhere = f"{where} 题 {tcode or i + 1}"
            if not self.keys(twhere, task, TASK_KEYS, TASK_REQUIRED):
                continue
            self.unique(twhere, tcode)
            if isinstance(tcode, str) and not re.fullmatch(re.escape(code) + r"\d+", tcode):
                self.error(twhere, f"题目编码应为科目编码加数字（如 {code}1），现为 {tcode}")
            self.text(twhere, task.get("name"), "题目名称")
            self.text(twhere, task.get("description"), "考试说明（description）")
            limit = task.get("time_limit_minutes")
            if self.positive_int(twhere, limit, "限时（分钟）") and duration and limit > duration:
                self.error(twhere, f"限时 {limit} 分钟超过整场考试时长 {duration} 分钟")
            equipment = task.get("equipment")
            if equipment is not None and (not isinstance(equipment, list)
                                          or not all(isinstance(e, str) and e.strip() for e in equipment)):
                self.error(twhere, "器材（equipment）应为非空文字的列表")
            self.points(twhere, task.get("points"))
            self.vetoes(twhere, task.get("vetoes"))

    def points(self, where: str, points) -> None:
        if not isinstance(points, list) or not points:
            self.error(where, "评分要点（points）不能为空")
            return
        total, complete = 0, True
        for i, point in enumerate(points):
            pcode = point.get("code") if isinstance(point, dict) else None
            pwhere = f"{where} 要点 {pcode or i + 1}"
            if not self.keys(pwhere, point, POINT_KEYS, POINT_REQUIRED):
                complete = False
                continue
            self.unique(pwhere, pcode)
            self.text(pwhere, point.get("step"), "步骤/要点")
            self.text(pwhere, point.get("criteria"), "评分标准（criteria）")
            top = point.get("max")
            if self.positive_int(pwhere, top, "分值（max）"):
                total += top
            else:
                complete, top = False, None
            self.deductions(pwhere, point.get("deductions"), top)
        if complete and total != 100:
            self.error(where, f"各评分要点分值之和应为 100，现为 {total}")

    def deductions(self, where: str, deductions, top: int | None) -> None:
        if deductions is None:
            return
        if not isinstance(deductions, list):
            self.error(where, "扣分标准（deductions）应为列表")
            return
        for i, ded in enumerate(deductions, start=1):
            dwhere = f"{where} 扣分标准 {i}"
            if not self.keys(dwhere, ded, DEDUCTION_KEYS, DEDUCTION_KEYS):
                continue
            self.text(dwhere, ded.get("text"), "扣分说明")
            value = ded.get("points")
            if self.positive_int(dwhere, value, "扣分") and top is not None and value > top:
                self.error(dwhere, f"扣 {value} 分超过该要点分值 {top}")

    def vetoes(self, where: str, vetoes) -> None:
        if vetoes is None:
            return
        if not isinstance(vetoes, list):
            self.error(where, "否决项（vetoes）应为列表")
            return
        for i, veto in enumerate(vetoes):
            vcode = veto.get("code") if isinstance(veto, dict) else None
            vwhere = f"{where} 否决项 {vcode or i + 1}"
            if not self.keys(vwhere, veto, VETO_KEYS, VETO_KEYS):
                continue
            self.unique(vwhere, vcode)
            self.text(vwhere, veto.get("text"), "否决项内容")

    def against_catalogue(self, doc: dict, duration: int | None) -> None:
        """Weights, duration and slug against the catalogue (it is data too: both must agree)."""
        facts = self.catalogue.get(self.report.item)
        if facts is None or facts.kind != KIND_SPECIAL:
            return
        subjects = doc.get("subjects") if isinstance(doc.get("subjects"), list) else []
        weights = tuple(s.get("weight") for s in subjects if isinstance(s, dict))
        if facts.weights and len(weights) == 4 and weights != facts.weights:
            self.error("subjects", f"权重 {'/'.join(map(str, weights))} 与目录中的 "
                                   f"{'/'.join(map(str, facts.weights))} 不一致")
        if facts.minutes and duration and facts.minutes != duration:
            self.error("duration_minutes", f"考试时长 {duration} 分钟与目录中的 {facts.minutes} 分钟不一致")
        slug = self.report.path.stem
        if facts.rubric and facts.rubric != slug:
            self.report.warnings.append(f"目录中“{facts.name}”的评分表为 {facts.rubric}，本文件为 {slug}")


def check_document(doc, path: Path, catalogue: dict[str, ItemFacts]) -> RubricReport:
    """Every problem of a parsed rubric document against the format and the catalogue."""
    report = RubricReport(path=Path(path))
    _Checker(report, catalogue).document(doc)
    if report.ok:
        report.document = doc
    return report


def check_file(path: Path, catalogue: dict[str, ItemFacts]) -> RubricReport:
    """Read one rubric file and check it. Unreadable YAML is reported, not raised."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        report = RubricReport(path=path)
        report.errors.append(f"无法读取：{exc}")
        return report
    return check_document(doc, path, catalogue)


def rubric_files(path: Path = RUBRIC_DIR) -> list[Path]:
    """The rubric files of a folder (``*.yaml``, sorted), or the one file given."""
    path = Path(path)
    if path.is_file():
        return [path]
    return sorted(path.glob("*.yaml")) if path.is_dir() else []


def check_folder(path: Path = RUBRIC_DIR, catalogue: dict[str, ItemFacts] | None = None) -> list[RubricReport]:
    """Check every rubric file; a second file for an item already seen is an error."""
    catalogue = catalogue if catalogue is not None else catalogue_facts()
    reports = [check_file(p, catalogue) for p in rubric_files(path)]
    seen: dict[str, Path] = {}
    for report in reports:
        if report.item and report.item in seen:
            report.errors.append(f"与 {seen[report.item].name} 是同一操作项目“{report.item}”的评分表")
        elif report.item:
            seen[report.item] = report.path
    return reports
