"""People and employer forms (shape only; services check the rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.people.models import EDUCATION_LEVELS


class PersonForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=30)])
    id_number = StringField(_l("身份证号码"), validators=[DataRequired(_l("请填写身份证号码")), Length(max=40)],
                            description=_l("18 位公民身份号码，末位可以是 X"))
    phone = StringField(_l("手机号码"), validators=[Optional(), Length(max=20)])
    education = SelectField(_l("文化程度"), choices=[("", _l("请选择"))] + [(e, e) for e in EDUCATION_LEVELS],
                            validators=[DataRequired(_l("请选择文化程度"))])
    employer_id = SelectField(_l("所属单位"), coerce=int, validators=[Optional()])
    reason = StringField(_l("修改原因"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("保存"))


class PhotoForm(FlaskForm):
    photo = FileField(_l("照片（JPG 或 PNG）"), validators=[FileRequired(_l("请选择照片文件"))])
    submit = SubmitField(_l("上传照片"))


class ImportForm(FlaskForm):
    file = FileField(_l("人员名单文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择要导入的文件"))])
    submit = SubmitField(_l("检查并导入"))


class EmployerForm(FlaskForm):
    name = StringField(_l("单位全称"), validators=[DataRequired(_l("请填写单位全称")), Length(max=200)])
    credit_code = StringField(_l("统一社会信用代码"), validators=[DataRequired(_l("请填写统一社会信用代码")), Length(max=40)])
    industry = SelectField(_l("所属行业"), validators=[DataRequired(_l("请选择所属行业"))])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=50)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=20)])
    is_active = BooleanField(_l("启用"), default=True)
    submit = SubmitField(_l("保存"))
