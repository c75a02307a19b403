"""Forms of the resource and session pages (shape only; app.scheduling.sessions checks the rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TimeField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from app.accounts.forms import MultiCheckboxField
from app.scheduling.models import RoomKind, SessionKind, SessionState
from app.scheduling.sessions import DUTY_CHIEF, DUTY_EXAMINER, DUTY_LABELS, DUTY_PROCTOR

ROOM_KIND_CHOICES = [(str(k), _l(k.label)) for k in RoomKind]
SESSION_KIND_CHOICES = [(str(k), _l(k.label)) for k in SessionKind]
STATE_CHOICES = [(str(s), _l(s.label)) for s in SessionState]
DUTY_CHOICES = [(d, _l(DUTY_LABELS[d])) for d in (DUTY_PROCTOR, DUTY_EXAMINER, DUTY_CHIEF)]


class RoomForm(FlaskForm):
    """A room's capacity, items (practical rooms) and whether it is in use."""

    capacity = IntegerField(_l("容量（座位/考位数）"), validators=[InputRequired(_l("请填写容量")),
                                                            NumberRange(1, 500, _l("容量应在 1–500 之间"))],
                            description=_l("理论考场的座位按容量自动编号（1 号起）。"))
    items = MultiCheckboxField(_l("可考核的项目（实操考位）"), coerce=int)
    is_active = BooleanField(_l("启用"), default=True)
    submit = SubmitField(_l("保存"))


class RoomNewForm(RoomForm):
    """A new room on a site."""

    site_id = SelectField(_l("考点"), coerce=int, validators=[DataRequired(_l("请选择考点"))])
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")), Length(max=100)])
    kind = SelectField(_l("类型"), choices=ROOM_KIND_CHOICES, validators=[DataRequired(_l("请选择类型"))])


class SeatForm(FlaskForm):
    """Take one seat (its terminal) out of use, or back into use."""

    number = IntegerField(_l("座位号"), validators=[InputRequired(), NumberRange(1, 500)])
    usable = HiddenField(validators=[AnyOf(["0", "1"])])


class QualificationForm(FlaskForm):
    """The items an examiner may examine."""

    items = MultiCheckboxField(_l("考评资格（可考核的项目）"), coerce=int)
    submit = SubmitField(_l("保存考评资格"))


class UnavailabilityForm(FlaskForm):
    """A period a proctor or examiner cannot work."""

    start_date = DateField(_l("开始日期"), validators=[InputRequired(_l("请填写开始日期（YYYY-MM-DD）"))])
    end_date = DateField(_l("结束日期"), validators=[InputRequired(_l("请填写结束日期（YYYY-MM-DD）"))])
    reason = StringField(_l("原因"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("登记不可用时段"))


class ConfirmForm(FlaskForm):
    """A bare POST with its CSRF token (remove buttons)."""


class CalendarDayForm(FlaskForm):
    """A day the base closes, or opens as a swapped working day."""

    day = DateField(_l("日期"), validators=[InputRequired(_l("请填写日期（YYYY-MM-DD）"))])
    is_open = SelectField(_l("设置为"), choices=[("0", _l("休息日（不安排考试）")), ("1", _l("工作日（调休上班）"))],
                          default="0")
    reason = StringField(_l("原因"), validators=[DataRequired(_l("请填写原因")), Length(max=200)])
    submit = SubmitField(_l("保存"))


class CalendarRemoveForm(FlaskForm):
    """Remove the base's own setting of a day."""

    day = DateField(validators=[InputRequired()])


class SessionForm(FlaskForm):
    """An exam session: kind, room, local day and times, capacity and items."""

    kind = SelectField(_l("考试类型"), choices=SESSION_KIND_CHOICES, validators=[DataRequired(_l("请选择考试类型"))])
    room_id = SelectField(_l("考场/实操考位"), coerce=int, validators=[DataRequired(_l("请选择考场"))])
    day = DateField(_l("日期"), validators=[InputRequired(_l("请填写日期（YYYY-MM-DD）"))])
    start = TimeField(_l("开始时间"), validators=[InputRequired(_l("请填写开始时间（HH:MM）"))])
    end = TimeField(_l("结束时间"), validators=[InputRequired(_l("请填写结束时间（HH:MM）"))])
    capacity = IntegerField(_l("容量"), validators=[InputRequired(_l("请填写容量")),
                                                  NumberRange(1, 500, _l("容量应在 1–500 之间"))],
                            description=_l("不能超过考场可用座位数（实操考位：考位数）。"))
    items = MultiCheckboxField(_l("允许的考核项目"), coerce=int)
    note = StringField(_l("备注"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("保存"))


class StaffAssignForm(FlaskForm):
    """Put a proctor or examiner on a session."""

    user_id = SelectField(_l("人员"), coerce=int, validators=[DataRequired(_l("请选择人员"))])
    duty = SelectField(_l("职责"), choices=DUTY_CHOICES, validators=[DataRequired(_l("请选择职责"))])
    submit = SubmitField(_l("安排"))


class StaffRemoveForm(FlaskForm):
    """Take a person off a session."""

    user_id = IntegerField(validators=[InputRequired()])


class SessionStateForm(FlaskForm):
    """Move a session: the wanted state comes from the button pressed."""

    state = SelectField(_l("状态"), choices=STATE_CHOICES, validators=[DataRequired(_l("请选择状态"))])
    reason = StringField(_l("原因（可选，记入审计日志）"), validators=[Optional(), Length(max=200)])
