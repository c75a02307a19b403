from app.questions.bankfiles import duplicate_errors, parse_table_questions
from app.questions.records import TABLE_COLUMNS, build_record, clean_text, key_from_stem, normalise_stem


def _raw(**over):
    raw = {"type": "单选", "stem": "特种作业操作证的有效期为（  ）年。", "options": ["3", "6", "9", "12"], "answer": "B",
           "explanation": "依据规定，有效期6年。", "knowledge_point": "法规 / 证书", "difficulty": 2, "items": "低压电工作业",
           "source": "市级", "pool": "考试", "id": "dy-0001"}
    raw.update(over)
    return raw


def test_a_good_record():
    rec, errors = build_record(_raw(), 2)
    assert errors == []
    assert (rec.external_key, rec.answer, rec.knowledge_point, rec.pool, rec.items) == (
        "DY-0001", "B", "法规/证书", "exam", ["低压电工作业"])


def test_every_problem_is_named_with_its_column():
    _rec, errors = build_record(_raw(type="单选", answer="AB", explanation="", difficulty=5, source="县级",
                                     pool="其他", options=["3", "3"], stem=""), 7)
    columns = {e.column for e in errors}
    assert {"题干", "选项", "答案", "解析", "难度", "来源", "题库"} <= columns
    assert all(e.row == 7 for e in errors)


def test_scripts_are_removed_from_text():
    assert clean_text('<script>alert(1)</script>CO<sub>2</sub><img src=x onerror=alert(1)>') == "CO<sub>2</sub>"
    rec, _ = build_record(_raw(stem='<b onclick="x()">电工</b>作业<script>x</script>'), 1)
    assert rec.stem == "<b>电工</b>作业"


def test_stem_normalisation_ignores_punctuation_and_spaces():
    assert normalise_stem("电工作业 是（  ）。") == normalise_stem("电工作业是()")
    assert key_from_stem("a，b") == key_from_stem("a, b")


def test_duplicates_within_a_subject_only():
    a, _ = build_record(_raw(id="K1"), 1)
    b, _ = build_record(_raw(id="K2", stem="特种作业操作证的有效期为（ ）年"), 2)
    c, _ = build_record(_raw(id="K3", items="熔化焊接与热切割作业"), 3)
    errors = duplicate_errors([a, b, c])
    assert [(e.row, e.column) for e in errors] == [(2, "题干")]


def test_csv_in_gbk_with_row_errors():
    header = ",".join(TABLE_COLUMNS)
    good = "判断,停电检修时应先验电后挂接地线。,,,,,,,对,依据安全规程。,现场/停电,1,低压电工作业,市级,考试,"
    bad = "单选,题干,A,B,,,,,Z,解析,现场/停电,1,低压电工作业,市级,考试,"
    parsed = parse_table_questions("q.csv", "\n".join([header, good, bad]).encode("gbk"))
    assert len(parsed.records) == 1 and parsed.records[0].answer == "T"
    assert [(e.row, e.column) for e in parsed.errors] == [(3, "答案")]
