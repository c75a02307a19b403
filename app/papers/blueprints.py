"""Blueprint files and specs: resolving proportions to counts, validating, converting to the
pure assembly spec. No database here."""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from app.core.errors import DomainError
from app.papers.assembly import BlueprintSpec, KpRule, Section
from app.questions.types import kind

BLUEPRINT_DIR = Path(__file__).resolve().parents[2] / "question_bank" / "blueprints"
PAPER_TOTAL = 100


def _range(value, count: int, tolerance: float, label: str) -> list[int]:
    """[min, max] from an explicit pair or from a share of ``count`` ± tolerance (a share of count)."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        lo, hi = int(value[0]), int(value[1])
    elif isinstance(value, (int, float)) and 0 <= value <= 1:
        lo = max(0, math.floor((value - tolerance) * count))
        hi = min(count, math.ceil((value + tolerance) * count))
    else:
        raise DomainError(f"{label} 应写成比例（如 0.3）或 [最少, 最多]")
    if lo < 0 or hi < lo:
        raise DomainError(f"{label} 的范围不正确：[{lo}, {hi}]")
    return [lo, hi]


def resolve_spec(doc: dict) -> dict:
    """The stored spec (counts only) from a blueprint document that may use proportions.
    Raises DomainError naming what is wrong."""
    sections, seen, total_count, total_points = [], set(), 0, 0.0
    d_tol = float(doc.get("difficulty_tolerance", 0.10))
    for i, raw in enumerate(doc.get("sections") or [], start=1):
        try:
            qtype = kind(str(raw.get("type"))).code
        except Exception:  # noqa: BLE001 - the message below says what is allowed
            raise DomainError(f"第 {i} 部分的题型应为 判断、单选 或 多选") from None
        if qtype in seen:
            raise DomainError(f"题型 {raw.get('type')} 出现了两次")
        seen.add(qtype)
        count, points = int(raw.get("count", 0)), float(raw.get("points", 1))
        if count <= 0 or points <= 0:
            raise DomainError(f"{raw.get('type')} 的题数和每题分值都必须大于 0")
        difficulty = {str(level): _range(v, count, d_tol, f"{raw.get('type')}难度 {level}")
                      for level, v in (raw.get("difficulty") or {}).items()}
        if sum(lo for lo, _hi in difficulty.values()) > count:
            raise DomainError(f"{raw.get('type')} 各难度的最少题数之和超过了该部分题数 {count}")
        sections.append({"type": qtype, "count": count, "points": points, "difficulty": difficulty})
        total_count += count
        total_points += count * points
    if not sections:
        raise DomainError("组卷方案至少需要一个部分（题型）")
    if abs(total_points - PAPER_TOTAL) > 1e-9:
        raise DomainError(f"各部分总分为 {total_points:g} 分，应为 {PAPER_TOTAL} 分")
    k_tol = float(doc.get("kp_tolerance", 0.05))
    kp_rules = [{"kp": str(name), **dict(zip(("min", "max"), _range(v, total_count, k_tol, f"知识点“{name}”")))}
                for name, v in (doc.get("knowledge_points") or {}).items()]
    if kp_rules and sum(r["min"] for r in kp_rules) > total_count:
        raise DomainError("各知识点的最少题数之和超过了试卷总题数")
    return {"sections": sections, "kp_rules": kp_rules}


def spec_hash(spec: dict, extra: dict) -> str:
    return hashlib.sha256(json.dumps([spec, extra], sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def to_assembly_spec(spec: dict) -> BlueprintSpec:
    """The pure module's spec from the stored JSON."""
    sections = tuple(
        Section(qtype=s["type"], count=s["count"], points=s["points"],
                difficulty={int(k): (v[0], v[1]) for k, v in s.get("difficulty", {}).items()})
        for s in spec["sections"])
    return BlueprintSpec(sections=sections, kp_rules=tuple(KpRule(r["kp"], r["min"], r["max"]) for r in spec["kp_rules"]))
