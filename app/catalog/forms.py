"""Catalogue edit forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.people.models import EDUCATION_LEVELS

WEIGHTS_RE = r"^\s*\d{1,3}\s*/\s*\d{1,3}\s*/\s*\d{1,3}\s*/\s*\d{1,3}\s*$"


def _hours(label):
    return IntegerField(label, validators=[Optional(), NumberRange(0, 1000, _l("学时应在 0–1000 之间"))])


class ItemForm(FlaskForm):
    code = StringField(_l("编码"), validators=[Optional(), Length(max=20)])
    theory_blueprint = StringField(_l("理论考试组卷方案"), validators=[Optional(), Length(max=50)])
    theory_minutes = IntegerField(_l("理论考试时长（分钟）"), validators=[DataRequired(_l("请填写时长")), NumberRange(10, 300)])
    pass_mark = IntegerField(_l("合格分数线"), validators=[DataRequired(_l("请填写合格分数线")), NumberRange(1, 100)])
    practical_required = BooleanField(_l("需要实际操作考试"))
    rubric = StringField(_l("实际操作评分表"), validators=[Optional(), Length(max=50)])
    practical_minutes = IntegerField(_l("实际操作考试时长（分钟）"), validators=[Optional(), NumberRange(5, 300)])
    practical_weights = StringField(_l("实操科目权重 K1/K2/K3/K4"), validators=[
        Optional(), Regexp(WEIGHTS_RE, message=_l("请按 20/40/20/20 的格式填写四个整数"))])
    training_hours_initial = _hours(_l("初训学时"))
    training_hours_theory = _hours(_l("初训理论学时"))
    training_hours_practical = _hours(_l("初训实操学时"))
    refresher_hours = _hours(_l("复审/再培训学时"))
    min_education = SelectField(_l("最低文化程度"), choices=[("", _l("不限"))] + [(e, e) for e in EDUCATION_LEVELS])
    certificate_kind = StringField(_l("证书种类"), validators=[DataRequired(), Length(max=50)])
    validity_years = IntegerField(_l("证书有效期（年）"), validators=[DataRequired(), NumberRange(1, 20)])
    review_interval_years = IntegerField(_l("复审周期（年）"), validators=[Optional(), NumberRange(1, 20)])
    is_active = BooleanField(_l("启用"))
    reason = StringField(_l("修改原因"), validators=[DataRequired(_l("请填写修改原因")), Length(max=200)])
    submit = SubmitField(_l("保存"))

    def values(self) -> dict:
        out = {name: getattr(self, name).data for name in (
            "code", "theory_blueprint", "theory_minutes", "pass_mark", "practical_required", "rubric",
            "practical_minutes", "training_hours_initial", "training_hours_theory", "training_hours_practical",
            "refresher_hours", "min_education", "certificate_kind", "validity_years", "review_interval_years",
            "is_active")}
        for key in ("code", "theory_blueprint", "rubric", "min_education", "certificate_kind"):
            out[key] = (out[key] or "").strip()
        raw = (self.practical_weights.data or "").strip()
        out["practical_weights"] = [int(x) for x in raw.split("/")] if raw else None
        return out


class RuleForm(FlaskForm):
    value = IntegerField(_l("数值"), validators=[DataRequired(_l("请填写数值")), NumberRange(0, 1000)])
    reason = StringField(_l("修改原因"), validators=[DataRequired(_l("请填写修改原因")), Length(max=200)])
    submit = SubmitField(_l("保存"))
