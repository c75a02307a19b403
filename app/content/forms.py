"""Forms of the editors' pages (shape only; app.content.services checks the rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.accounts.forms import MultiCheckboxField
from app.content.models import BroadcastChannel
from app.content.playlist import WEEKDAY_LABELS, Repeat
from app.content.rules import HAZARDS, TYPE_LABELS

TYPE_CHOICES = [(str(t), _l(label)) for t, label in TYPE_LABELS.items()]
HAZARD_CHOICES = [(h, _l(h)) for h in HAZARDS]


class ItemForm(FlaskForm):
    key = StringField(_l("编号（网址中的名称）"), validators=[DataRequired(_l("请填写编号")), Length(max=80)],
                      description=_l("小写字母、数字和连字符，例如 dizhen-bixian-jiating；保存后不能修改。"))
    type = SelectField(_l("类型"), choices=TYPE_CHOICES)
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=200)])
    summary = TextAreaField(_l("摘要"), validators=[Length(max=500)], render_kw={"rows": 2})
    body = TextAreaField(_l("正文"), render_kw={"rows": 14},
                         description=_l("可用段落、小标题、列表、表格、加粗、引用；其他标签和脚本会被清除。广播稿按字数计算播读时长。"))
    hazards = MultiCheckboxField(_l("灾种标签"), choices=HAZARD_CHOICES)
    events = MultiCheckboxField(_l("所属宣传活动"))
    note = StringField(_l("修改说明"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("保存草稿"))


class ApproveForm(FlaskForm):
    publish_at = DateTimeLocalField(_l("发布时间（北京时间，留空为立即发布）"),
                                    format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()],
                                    render_kw={"step": 1})
    submit = SubmitField(_l("批准发布"))


class RejectForm(FlaskForm):
    note = StringField(_l("退回原因"), validators=[DataRequired(_l("请写明退回原因")), Length(max=500)])
    submit = SubmitField(_l("退回修改"))


class ActionForm(FlaskForm):
    """A workflow button: the CSRF token only."""


class UploadForm(FlaskForm):
    file = FileField(_l("文件"), validators=[DataRequired(_l("请选择文件"))])
    submit = SubmitField(_l("上传"))


class EventForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")), Length(max=100)])
    start_md = StringField(_l("开始（MM-DD）"), validators=[DataRequired(_l("请填写开始日期"))])
    end_md = StringField(_l("结束（MM-DD，含当天）"), validators=[DataRequired(_l("请填写结束日期"))])
    rule = StringField(_l("浮动日期规则"), validators=[Optional(), Length(max=50)],
                       description=_l("例如 third-week-of-september（九月第三个周一起的一周）；填写后忽略上面的日期。"))
    hazards = MultiCheckboxField(_l("灾种"), choices=HAZARD_CHOICES)
    description = TextAreaField(_l("说明"), render_kw={"rows": 3})
    themes = TextAreaField(_l("年度主题"), render_kw={"rows": 3},
                           description=_l("每行一年：“2026: 主题”。请以官方发布的主题为准。"))
    submit = SubmitField(_l("保存"))


class SlotForm(FlaskForm):
    channel_id = SelectField(_l("频道"), coerce=int, validators=[InputRequired(_l("请选择频道"))])
    item_id = SelectField(_l("广播稿"), coerce=int, validators=[InputRequired(_l("请选择广播稿"))])
    start_date = DateField(_l("开始日期"), validators=[InputRequired(_l("请填写开始日期（YYYY-MM-DD）"))])
    end_date = DateField(_l("结束日期"), validators=[InputRequired(_l("请填写结束日期（YYYY-MM-DD）"))])
    repeat = SelectField(_l("重复"), choices=[(str(r), _l(r.label)) for r in Repeat])
    weekdays = MultiCheckboxField(_l("每周的哪几天（选“每周指定日”时）"), coerce=int,
                                  choices=[(i, _l(label)) for i, label in enumerate(WEEKDAY_LABELS)])
    times = StringField(_l("播出时间"), validators=[DataRequired(_l("请填写播出时间"))],
                        description=_l("北京时间，多个用逗号分开，例如 07:30, 17:30（早晚高峰）"))
    note = StringField(_l("备注"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("保存播出安排"))


class ChannelForm(FlaskForm):
    name = StringField(_l("频道名称"), validators=[DataRequired(_l("请填写频道名称")), Length(max=100)])
    level = SelectField(_l("级别"), choices=[(k, _l(v)) for k, v in BroadcastChannel.LEVELS.items()])
    submit = SubmitField(_l("新增频道"))
