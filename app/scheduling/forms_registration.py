"""Forms of the registration, review, allocation and check-in pages (shape only; services check the rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, HiddenField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.core.timeutil import local_today

PART_CHOICES = [("theory", _l("理论考试")), ("practical", _l("实际操作考试"))]
REVIEW_CHOICES = [("approve", _l("审核通过")), ("reject", _l("退回")), ("cancel", _l("取消"))]


class IdListField(SelectMultipleField):
    """Ids ticked in a table; which ones the user may touch is checked by the view, not by choices."""

    def __init__(self, *args, **kwargs):
        """Ints, no fixed choices."""
        super().__init__(*args, coerce=int, validate_choice=False, **kwargs)

    def pre_validate(self, form):
        """No fixed choices to check against."""


class RegisterForm(FlaskForm):
    """Who, for which item and part, from which date."""

    person_ids = IdListField(_l("报名人员"), validators=[DataRequired(_l("请至少勾选一名人员"))])
    item_id = SelectField(_l("考核项目"), coerce=int, validators=[DataRequired(_l("请选择考核项目"))])
    part = SelectField(_l("考试科目"), choices=PART_CHOICES, validators=[DataRequired(_l("请选择考试科目"))])
    requested_date = DateField(_l("希望考试日期"), validators=[InputRequired(_l("请填写希望考试日期（YYYY-MM-DD）"))],
                               description=_l("格式 YYYY-MM-DD；排考时安排在这一天或之后最早的场次"))
    submit = SubmitField(_l("提交报名"))


class HealthCommitmentForm(FlaskForm):
    """The date the personal health commitment (个人健康书面承诺) was signed."""

    signed_on = DateField(_l("签署日期"), validators=[InputRequired(_l("请填写签署日期（YYYY-MM-DD）"))])
    submit = SubmitField(_l("登记健康承诺"))

    def validate_signed_on(self, field):
        """A commitment is recorded once it is signed, so never with a future date."""
        if field.data and field.data > local_today():
            raise ValidationError(_l("签署日期不能晚于今天"))


class TrainingRecordForm(FlaskForm):
    """A completed training: item, dates, hours, provider and (for the base) the trainer."""

    item_id = SelectField(_l("培训项目"), coerce=int, validators=[DataRequired(_l("请选择培训项目"))])
    start_date = DateField(_l("开始日期"), validators=[InputRequired(_l("请填写开始日期（YYYY-MM-DD）"))])
    end_date = DateField(_l("结束日期"), validators=[InputRequired(_l("请填写结束日期（YYYY-MM-DD）"))])
    hours = FloatField(_l("学时"), validators=[InputRequired(_l("请填写学时")),
                                              NumberRange(min=0.5, max=1000, message=_l("学时应在 0.5–1000 之间"))])
    provider = StringField(_l("培训机构"), validators=[Optional(), Length(max=100)])
    trainer_id = SelectField(_l("授课教师（考教分离用）"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("登记培训记录"))


class ReviewForm(FlaskForm):
    """A bulk action on the ticked registrations."""

    ids = IdListField(_l("报名"), validators=[DataRequired(_l("请至少勾选一条报名"))])
    action = SelectField(_l("操作"), choices=REVIEW_CHOICES, validators=[DataRequired()])
    reason = StringField(_l("原因（退回、取消时必填）"), validators=[Length(max=200)])
    submit = SubmitField(_l("执行"))

    def validate_reason(self, field):
        """Rejecting or cancelling needs a reason the candidate will read."""
        if self.action.data in ("reject", "cancel") and not (field.data or "").strip():
            raise ValidationError(_l("退回或取消时请填写原因"))


class CancelForm(FlaskForm):
    """Cancelling or withdrawing one registration."""

    reason = StringField(_l("取消原因"), validators=[DataRequired(_l("请填写取消原因")), Length(max=200)])
    submit = SubmitField(_l("取消报名"))


class MoveForm(FlaskForm):
    """A manual placement in another session."""

    session_id = SelectField(_l("改排到场次"), coerce=int, validators=[DataRequired(_l("请选择场次"))])
    reason = StringField(_l("调整原因"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("调整场次"))


class ApplyAllocationForm(FlaskForm):
    """Confirms the previewed allocation; ``digest`` names the preview that was shown."""

    digest = HiddenField()
    submit = SubmitField(_l("确认安排"))


class CheckInForm(FlaskForm):
    """A scanned QR token or a typed ticket number."""

    code = StringField(_l("准考证号或二维码"),
                       validators=[DataRequired(_l("请扫描二维码或输入准考证号")), Length(max=200)])
    submit = SubmitField(_l("签到"))
