"""Forms of the training pages (shape only; the services check the rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.training.models import COURSE_KINDS, LESSON_MODES


class IdListField(SelectMultipleField):
    """Ids ticked in a table; which ones the user may touch is checked by the view."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, coerce=int, validate_choice=False, **kwargs)

    def pre_validate(self, form):
        """No fixed choices."""


class CourseForm(FlaskForm):
    item_id = SelectField(_l("考核项目"), coerce=int, validators=[DataRequired(_l("请选择考核项目"))])
    kind = SelectField(_l("培训类别"), choices=[(k, k) for k in COURSE_KINDS])
    title = StringField(_l("课程名称"), validators=[DataRequired(_l("请填写课程名称")), Length(max=200)])
    submit = SubmitField(_l("创建课程"))


class VersionForm(FlaskForm):
    title = StringField(_l("课程名称"), validators=[DataRequired(_l("请填写课程名称")), Length(max=200)])
    goals = TextAreaField(_l("学习目标"), description=_l("每行一条"), validators=[Length(max=5000)])
    audience = TextAreaField(_l("培训对象与条件"), validators=[Length(max=2000)])
    assessment = TextAreaField(_l("考核方式"), validators=[Length(max=2000)])
    submit = SubmitField(_l("保存"))


class LessonForm(FlaskForm):
    title = StringField(_l("课名"), validators=[DataRequired(_l("请填写课名")), Length(max=200)])
    hours = DecimalField(_l("学时"), places=1, validators=[InputRequired(_l("请填写学时")),
                                                          NumberRange(min=0.5, max=200, message=_l("学时应在 0.5–200 之间"))])
    mode = SelectField(_l("授课形式"), choices=[(m, m) for m in LESSON_MODES])
    is_online = BooleanField(_l("可在线学习"), description=_l("实操课不能在线学习"))
    outline = TextAreaField(_l("内容要点"), description=_l("每行一条"), validators=[Length(max=5000)])
    body_html = TextAreaField(_l("讲义正文"), description=_l("可用简单的 HTML 排版；脚本和样式会被去除"),
                              validators=[Length(max=100000)])
    video_url = StringField(_l("视频链接（本基地媒体服务器）"), validators=[Optional(), Length(max=500)])
    video_minutes = FloatField(_l("视频时长（分钟）"), validators=[Optional(), NumberRange(min=0.1, max=600)],
                               description=_l("使用视频链接时必填；上传的视频自动读取时长"))
    submit = SubmitField(_l("保存"))


class UploadForm(FlaskForm):
    file = FileField(_l("文件"), validators=[DataRequired(_l("请选择文件"))])
    submit = SubmitField(_l("上传"))


class ReviewForm(FlaskForm):
    note = StringField(_l("审核意见"), validators=[Optional(), Length(max=200)])


class ClassForm(FlaskForm):
    version_id = SelectField(_l("课程（已发布）"), coerce=int, validators=[DataRequired(_l("请选择课程"))])
    name = StringField(_l("班级名称"), validators=[DataRequired(_l("请填写班级名称")), Length(max=200)])
    start_date = DateField(_l("开班日期"), validators=[InputRequired(_l("请填写开班日期（YYYY-MM-DD）"))])
    end_date = DateField(_l("结业日期"), validators=[InputRequired(_l("请填写结业日期（YYYY-MM-DD）"))])
    capacity = IntegerField(_l("人数上限"), validators=[InputRequired(_l("请填写人数上限")),
                                                       NumberRange(min=1, max=500, message=_l("人数上限应在 1–500 之间"))])
    room_id = SelectField(_l("培训教室"), coerce=int)
    trainer_ids = SelectMultipleField(_l("培训教师"), coerce=int, validators=[DataRequired(_l("请选择培训教师"))])
    has_test = BooleanField(_l("结业须通过班级考试"))
    submit = SubmitField(_l("开班"))


class MeetingForm(FlaskForm):
    day = DateField(_l("日期"), validators=[InputRequired(_l("请填写日期（YYYY-MM-DD）"))])
    start = TimeField(_l("开始时间"), validators=[InputRequired(_l("请填写开始时间"))])
    end = TimeField(_l("结束时间"), validators=[InputRequired(_l("请填写结束时间"))])
    hours = DecimalField(_l("本次学时"), places=1, validators=[InputRequired(_l("请填写学时"))])
    topic = StringField(_l("内容"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("添加课次"))


class EnrolForm(FlaskForm):
    person_ids = IdListField(_l("报名人员"), validators=[DataRequired(_l("请至少勾选一名人员"))])
    submit = SubmitField(_l("报名"))


class TestScoreForm(FlaskForm):
    enrolment_id = IntegerField(validators=[InputRequired()])
    score = FloatField(_l("班级考试成绩"), validators=[InputRequired(_l("请填写成绩")),
                                                       NumberRange(min=0, max=100, message=_l("成绩应在 0–100 之间"))])
