"""Export of questions to XLSX and YAML in exactly the form the importer reads back."""
from __future__ import annotations

import yaml

from app.core.errors import DomainError
from app.core.xlsx import workbook_bytes
from app.questions.records import TABLE_COLUMNS, record_to_row, record_to_yaml_dict
from app.questions.services import record_of


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def export_bytes(questions, filename: str) -> bytes:
    """XLSX (the import template's columns) or YAML (a bare list with items per question)."""
    records = [record_of(q) for q in questions]
    if filename.lower().endswith(".xlsx"):
        return workbook_bytes("题库", TABLE_COLUMNS, (record_to_row(r) for r in records), exact=True)
    if filename.lower().endswith((".yaml", ".yml")):
        doc = {"questions": [record_to_yaml_dict(r) for r in records]}
        return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000).encode("utf-8")
    raise DomainError("只能导出为 .xlsx 或 .yaml")


def template_bytes() -> bytes:
    example = ["单选", "特种作业操作证的有效期为（  ）年。", "3", "6", "9", "12", "", "", "B",
               "依据《特种作业人员安全技术培训考核管理规定》，特种作业操作证有效期为6年。",
               "安全生产法律法规与特种作业管理/特种作业人员管理规定", 1, "低压电工作业", "市级", "考试", ""]
    return workbook_bytes("题目导入", TABLE_COLUMNS, [example])
