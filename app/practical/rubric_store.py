"""Loading checked rubric files into the database (versioned) and reading them back."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from app.catalog.models import CatalogItem
from app.catalog.services import item_by_name
from app.core import audit
from app.core.errors import DomainError
from app.extensions import db
from app.practical import rubrics
from app.practical.models import Rubric


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)     # "低压电工作业 v1"
    unchanged: list[str] = field(default_factory=list)
    reports: list[rubrics.RubricReport] = field(default_factory=list)


def content_hash(doc: dict) -> str:
    """SHA-256 of the document in canonical JSON (key order and YAML layout do not matter)."""
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                          .encode("utf-8")).hexdigest()


def load_rubrics(path: Path = rubrics.RUBRIC_DIR, *, actor=None) -> LoadResult:
    """Check every rubric file and store each new version. All or nothing: any file with an error,
    or a changed file whose version was not raised, refuses the whole load (DomainError)."""
    reports = rubrics.check_folder(path)
    if not reports:
        raise DomainError(f"{path} 中没有评分表文件（*.yaml）")
    bad = [f"{r.path.name}：{e}" for r in reports for e in r.errors]
    if bad:
        raise DomainError(f"评分表有 {len(bad)} 处错误，未导入：" + "；".join(bad[:10]))
    result = LoadResult(reports=reports)
    for report in reports:
        doc = report.document
        item = item_by_name(doc["item"])
        if item is None:
            raise DomainError(f"考核项目“{doc['item']}”不在数据库的目录中，请先运行 flask catalog load")
        digest = content_hash(doc)
        label = f"{item.name} v{doc['version']}"
        existing = db.session.scalar(sa.select(Rubric).where(Rubric.item_id == item.id,
                                                             Rubric.version == doc["version"]))
        if existing is not None:
            if existing.content_hash != digest:
                raise DomainError(f"{report.path.name}：内容已修改但版本号仍为 {doc['version']}，"
                                  f"已用于评分的版本不能改动，请把 version 加 1 后再导入")
            result.unchanged.append(label)
            continue
        row = Rubric(item_id=item.id, slug=report.path.stem, version=doc["version"], pass_mark=doc["pass_mark"],
                     content=doc, content_hash=digest)
        db.session.add(row)
        db.session.flush()
        audit.record("rubric.load", "practical_rubric", row.id, actor=actor,
                     after={"item": item.name, "version": doc["version"], "file": report.path.name, "hash": digest})
        result.created.append(label)
    return result


def current_rubric(item: CatalogItem) -> Rubric:
    """The item's newest loaded rubric version. Raises DomainError when none is loaded."""
    row = db.session.scalar(sa.select(Rubric).where(Rubric.item_id == item.id).order_by(Rubric.version.desc()).limit(1))
    if row is None:
        raise DomainError(f"{item.name} 的实操评分表尚未导入，请管理员运行 flask rubrics load")
    return row


_CACHE: dict[tuple[int, str], rubrics.Rubric] = {}


def parsed(row: Rubric) -> rubrics.Rubric:
    """The stored rubric as the pure scoring module's dataclasses (cached per stored version)."""
    key = (row.id, row.content_hash)
    if key not in _CACHE:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = rubrics.rubric_from_dict(row.content)
    return _CACHE[key]
