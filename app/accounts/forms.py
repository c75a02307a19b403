"""Account forms: they check shape; services check rules."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.models import ROLE_LABELS, Role


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices():
    return [(str(r), str(ROLE_LABELS[r])) for r in Role]


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名")), Length(max=50)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码")), Length(max=200)])
    submit = SubmitField(_l("登录"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请填写当前密码"))])
    password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请填写新密码")), Length(max=200)])
    confirm = PasswordField(_l("再次输入新密码"),
                            validators=[DataRequired(_l("请再次输入新密码")), EqualTo("password", _l("两次输入的新密码不一致"))])
    submit = SubmitField(_l("修改密码"))


class UserRolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("角色"), choices=role_choices, validators=[DataRequired(_l("请至少选择一个角色"))])
    employer_id = SelectField(_l("所属单位（企业用户）"), coerce=int, validators=[Optional()])
    person_id_number = StringField(_l("关联人员的身份证号码（考生）"), validators=[Optional(), Length(max=30)])
    reason = StringField(_l("变更原因"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("保存"))


class UserCreateForm(UserRolesForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名")), Length(min=3, max=50)])
    display_name = StringField(_l("姓名/显示名"), validators=[DataRequired(_l("请填写姓名")), Length(max=100)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(_l("请填写初始密码")), Length(max=200)])
    must_change_password = BooleanField(_l("首次登录时必须修改密码"), default=True)
    submit = SubmitField(_l("创建用户"))


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请填写新密码")), Length(max=200)])
    submit = SubmitField(_l("重置密码"))


class ActiveForm(FlaskForm):
    reason = StringField(_l("原因"), validators=[DataRequired(_l("请填写原因")), Length(max=200)])
    submit = SubmitField(_l("确认"))
