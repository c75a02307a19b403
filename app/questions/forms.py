"""Question bank forms (shape only; records.build_record and the services check the rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.accounts.forms import MultiCheckboxField
from app.questions.models import SOURCE_TIERS
from app.questions.types import LETTERS

TYPE_CHOICES = [("judge", _l("判断")), ("single", _l("单选")), ("multiple", _l("多选"))]
POOL_CHOICES = [("exam", _l("考试")), ("practice", _l("练习")), ("public", _l("公众"))]
STATUS_CHOICES = [("draft", _l("草稿")), ("active", _l("启用")), ("retired", _l("停用"))]
DIFFICULTY_CHOICES = [("1", _l("1（易）")), ("2", _l("2（中）")), ("3", _l("3（难）"))]
OPTION_LETTERS = LETTERS[:6]
# The column names of records.RowError, mapped to the form field that shows the message.
COLUMN_FIELDS = {"题型": "qtype", "题干": "stem", "选项": "option_a", "答案": "answer", "解析": "explanation",
                 "知识点": "knowledge_point", "难度": "difficulty", "适用项目": "items", "来源": "source",
                 "题库": "pool", "编号": "external_key"}


def _option(letter: str):
    return StringField(_l("选项 %(letter)s", letter=letter), validators=[Optional(), Length(max=500)])


class QuestionForm(FlaskForm):
    """One question as an author types it; the owning item is fixed by the page."""

    qtype = SelectField(_l("题型"), choices=TYPE_CHOICES, validators=[DataRequired(_l("请选择题型"))])
    stem = TextAreaField(_l("题干"), validators=[DataRequired(_l("请填写题干")), Length(max=2000)],
                         render_kw={"rows": 4},
                         description=_l("可用 b、strong、i、em、u、sub、sup、br 标签标注加粗、斜体、下划线、"
                                        "上下标和换行，其余标签会被去除。"))
    option_a = _option("A")
    option_b = _option("B")
    option_c = _option("C")
    option_d = _option("D")
    option_e = _option("E")
    option_f = _option("F")
    answer = StringField(_l("答案"), validators=[DataRequired(_l("请填写答案")), Length(max=10)],
                         description=_l("判断题填“对”或“错”；单选题填一个字母；多选题填两个以上字母，如 ABD。"))
    explanation = TextAreaField(_l("解析"), validators=[DataRequired(_l("每道题都必须有解析")), Length(max=2000)],
                                render_kw={"rows": 3})
    knowledge_point = SelectField(_l("知识点"), validators=[DataRequired(_l("请选择知识点"))])
    difficulty = SelectField(_l("难度"), choices=DIFFICULTY_CHOICES, default="2")
    source = SelectField(_l("来源"), choices=[(s, s) for s in SOURCE_TIERS], default="市级")
    pool = SelectField(_l("题库"), choices=POOL_CHOICES, default="exam")
    items = MultiCheckboxField(_l("同时适用于（可多选）"))
    external_key = StringField(_l("编号"), validators=[Optional(), Length(max=50)],
                               description=_l("留空则按题干自动生成。"))
    change_note = StringField(_l("修改说明"), validators=[Optional(), Length(max=200)])
    preview = SubmitField(_l("预览"))
    submit = SubmitField(_l("保存"))

    def options(self) -> list[str]:
        return [getattr(self, f"option_{c.lower()}").data or "" for c in OPTION_LETTERS]

    def raw(self, owner: str, external_key: str | None = None) -> dict:
        """The dict records.build_record reads: the owning item first, then the others ticked."""
        others = [name for name in (self.items.data or []) if name != owner]
        return {"type": self.qtype.data, "stem": self.stem.data, "options": self.options(),
                "answer": self.answer.data, "explanation": self.explanation.data,
                "knowledge_point": self.knowledge_point.data, "difficulty": self.difficulty.data,
                "items": [owner, *others], "source": self.source.data, "pool": self.pool.data,
                "id": external_key if external_key is not None else self.external_key.data}


class QuestionEditForm(QuestionForm):
    external_key = None
    change_note = StringField(_l("修改说明"), validators=[Length(max=200)],
                              description=_l("保存时必填。启用过的题目修改后会生成新版本，旧版本保持不变。"))

    def validate_change_note(self, field):
        # Needed to save, not to preview.
        if not self.preview.data and not (field.data or "").strip():
            raise ValidationError(_l("请填写修改说明"))


class StatusForm(FlaskForm):
    """Activate or retire one question; a reason is always kept."""

    status = SelectField(_l("操作"), choices=[("active", _l("启用")), ("retired", _l("停用"))])
    reason = StringField(_l("原因"), validators=[DataRequired(_l("请填写原因")), Length(max=200)])
    submit = SubmitField(_l("确认"))


class BulkStatusForm(StatusForm):
    ids = SelectMultipleField(_l("题目"), coerce=int, validate_choice=False,
                              validators=[DataRequired(_l("请至少勾选一道题"))])


class ImportForm(FlaskForm):
    file = FileField(_l("题目文件（.yaml、.csv 或 .xlsx）"), validators=[FileRequired(_l("请选择要导入的文件"))])
    mode = SelectField(_l("导入后"), choices=[("draft", _l("保存为草稿")), ("active", _l("直接启用"))], default="draft")
    submit = SubmitField(_l("检查并导入"))
