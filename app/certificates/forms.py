"""Certificate forms (shape only; services check the rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.certificates.rules import CANCELLATION_GROUNDS, REVOCATION_GROUNDS

REASON = [DataRequired(_l("请填写原因")), Length(max=500)]


class RevokeForm(FlaskForm):
    ground = SelectField(_l("撤销依据"), choices=[("", _l("请选择"))] + [(g.key, g.label) for g in REVOCATION_GROUNDS],
                         validators=[DataRequired(_l("请选择撤销依据"))],
                         description=_l("后两项（虚假信息、欺骗贿赂）撤销后 3 年内不得再次申请"))
    reason = TextAreaField(_l("情况说明"), validators=REASON)
    submit = SubmitField(_l("撤销证书"))


class CancelForm(FlaskForm):
    ground = SelectField(_l("注销依据"), choices=[("", _l("请选择"))] + [(g.key, g.label) for g in CANCELLATION_GROUNDS],
                         validators=[DataRequired(_l("请选择注销依据"))])
    reason = TextAreaField(_l("情况说明"), validators=REASON)
    submit = SubmitField(_l("注销证书"))


class ReplaceForm(FlaskForm):
    reason = TextAreaField(_l("补发原因"), validators=REASON,
                           description=_l("证号不变，生成新的二维码；旧证卡核验时显示“已补发”"))
    submit = SubmitField(_l("补发证卡"))


class ReviewForm(FlaskForm):
    violations = IntegerField(_l("有效期内经确认的严重违章次数"), default=0,
                              validators=[Optional(), NumberRange(0, 99, _l("请填写 0–99 之间的整数"))])
    penalised = BooleanField(_l("有效期内受到行政处罚"))
    away_from_job = BooleanField(_l("离开特种作业岗位 6 个月以上"))
    long_interval = BooleanField(_l("连续从事本工种 10 年以上且无违法行为，经批准复审间隔延长至 6 年"))
    reason = TextAreaField(_l("复审意见"), validators=REASON)
    submit = SubmitField(_l("记录复审合格"))


class DismissForm(FlaskForm):
    reason = StringField(_l("不予发证原因"), validators=REASON)
    submit = SubmitField(_l("不予发证"))


class SettingsForm(FlaskForm):
    authority = StringField(_l("发证机关"), validators=[DataRequired(_l("请填写发证机关")), Length(max=200)])
    safety_role_number_format = StringField(
        _l("三项岗位证书编号格式"), validators=[DataRequired(_l("请填写编号格式")), Length(max=60)],
        description=_l("可用 {id_number}（身份证号码，必须包含）、{item_code}（项目编码）、{year}（发证年份）"))
    public_base_url = StringField(_l("核验网址前缀"), validators=[Optional(), Length(max=200)],
                                  description=_l("二维码中的网址前缀，例如 https://ks.example.cn；留空则使用当前访问地址"))
    national_lookup_url = StringField(_l("全国查询网址"), validators=[Optional(), Length(max=200)])
    show_photo_public = BooleanField(_l("公开核验页显示持证人照片"))
    enforce_refresher_hours = BooleanField(_l("复审须完成复审培训学时"))
    enforce_review_exam = BooleanField(_l("复审须考试合格"))
    reason = StringField(_l("修改原因"), validators=REASON)
    submit = SubmitField(_l("保存"))


class LookupForm(FlaskForm):
    number = StringField(_l("证书编号"), validators=[DataRequired(_l("请填写证书编号")), Length(max=40)])
    name = StringField(_l("持证人姓名（全名）"), validators=[DataRequired(_l("请填写姓名")), Length(max=50)])
    captcha = StringField(_l("验证码（计算结果）"), validators=[DataRequired(_l("请填写验证码")), Length(max=6)])
    submit = SubmitField(_l("查询"))


class BulkCheckForm(FlaskForm):
    file = FileField(_l("证书名单（.xlsx 或 .csv，两列：证书编号、姓名）"), validators=[FileRequired(_l("请选择文件"))])
    submit = SubmitField(_l("批量核验"))


class PrintForm(FlaskForm):
    session_id = SelectField(_l("考试场次"), coerce=int, validators=[DataRequired(_l("请选择考试场次"))])
    layout = SelectField(_l("版式"), choices=[("card", _l("证卡（85.6×54 毫米，正反面）")), ("a4", _l("A4 证书"))])
    submit = SubmitField(_l("开始生成"))
