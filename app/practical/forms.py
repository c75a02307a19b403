"""Forms of the practical pages: shape only (the services check the rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional

from app.practical.models import DrawMode


class DrawForm(FlaskForm):
    mode = HiddenField(validators=[AnyOf([str(m) for m in DrawMode], message=_l("抽题方式无效"))])
    subject = HiddenField(validators=[Optional(), Length(max=5)])
    reason = StringField(_l("重新抽题原因"), validators=[Optional(), Length(max=200)])


class SignForm(FlaskForm):
    """Sign, confirm and publish: a CSRF-protected button."""


class ResolveForm(FlaskForm):
    """The chief examiner's decision; the per-task fields (score_<task>, veto_<task>, note_<task>)
    depend on the disputed tasks and are read by the view."""


class AmendForm(FlaskForm):
    task = HiddenField(validators=[Length(min=1, max=20, message=_l("请选择题目"))])
    score = StringField(_l("改为得分"), validators=[Length(max=10)])
    reason = TextAreaField(_l("修改原因"), validators=[Length(min=1, max=200, message=_l("请填写修改原因"))])
