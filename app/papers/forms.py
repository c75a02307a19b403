"""Blueprint forms (shape only; papers.services.save_blueprint checks the composition)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.papers.assembly import LEVELS, QTYPES

_COUNT = NumberRange(0, 500, _l("应在 0–500 之间"))


def _count(label):
    return IntegerField(label, validators=[Optional(), _COUNT])


class SectionForm(Form):
    """One question type's part of the paper; a count of 0 (or empty) leaves the type out."""

    count = _count(_l("题数"))
    points = FloatField(_l("每题分值"), validators=[Optional(), NumberRange(0, 100, _l("应在 0–100 之间"))])
    d1_min = _count(_l("难度1 最少"))
    d1_max = _count(_l("难度1 最多"))
    d2_min = _count(_l("难度2 最少"))
    d2_max = _count(_l("难度2 最多"))
    d3_min = _count(_l("难度3 最少"))
    d3_max = _count(_l("难度3 最多"))

    def validate_points(self, field):
        if self.count.data and not field.data:
            raise ValidationError(_l("请填写每题分值"))


class KpRuleForm(Form):
    """How many questions of one first-level knowledge point; both empty = no rule."""

    name = HiddenField()
    min = _count(_l("最少"))
    max = _count(_l("最多"))


class BlueprintForm(FlaskForm):
    name = StringField(_l("方案名称"), validators=[DataRequired(_l("请填写方案名称")), Length(max=100)])
    sections = FieldList(FormField(SectionForm), min_entries=len(QTYPES), max_entries=len(QTYPES))
    kp_rules = FieldList(FormField(KpRuleForm), max_entries=100)
    duration_minutes = IntegerField(_l("考试时长（分钟）"), validators=[
        DataRequired(_l("请填写考试时长")), NumberRange(10, 300, _l("考试时长应在 10–300 分钟之间"))])
    pass_mark = IntegerField(_l("合格分数线"), validators=[
        DataRequired(_l("请填写合格分数线")), NumberRange(1, 100, _l("合格分数线应在 1–100 之间"))])
    show_result_immediately = BooleanField(_l("交卷后立即显示成绩"))
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    submit = SubmitField(_l("保存为新版本（草稿）"))

    def document(self) -> dict:
        """The blueprint document save_blueprint reads: sections in paper order (判断, 单选, 多选)."""
        sections, total = [], 0
        for sub in self.sections:
            index = int(sub.name.rsplit("-", 1)[-1])  # "sections-1" is always 单选, whatever else was posted
            count = sub.count.data or 0
            if count <= 0 or index >= len(QTYPES):
                continue
            qtype = QTYPES[index]
            difficulty = {}
            for level in LEVELS:
                lo, hi = sub[f"d{level}_min"].data, sub[f"d{level}_max"].data
                if lo is not None or hi is not None:
                    difficulty[level] = [lo or 0, count if hi is None else hi]
            sections.append({"type": qtype, "count": count, "points": sub.points.data, "difficulty": difficulty})
            total += count
        kps = {row.form.name.data: [row.form.min.data or 0, total if row.form.max.data is None else row.form.max.data]
               for row in self.kp_rules
               if row.form.name.data and (row.form.min.data is not None or row.form.max.data is not None)}
        return {"name": self.name.data.strip(), "sections": sections, "knowledge_points": kps,
                "duration_minutes": self.duration_minutes.data, "pass_mark": self.pass_mark.data,
                "show_result_immediately": bool(self.show_result_immediately.data), "note": self.note.data or ""}


class ActivateForm(FlaskForm):
    reason = StringField(_l("启用原因"), validators=[DataRequired(_l("请填写启用原因")), Length(max=200)])
    submit = SubmitField(_l("启用此版本"))


class ActionForm(FlaskForm):
    """A bare POST with its CSRF token (检查题库, 试组一份)."""
