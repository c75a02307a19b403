"""`flask questions stats` lives with the attempts it reads."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.catalog.services import item_by_name
from app.core.xlsx import workbook_bytes
from app.exams.services import item_report
from app.questions.cli import questions_cli

exams_cli = AppGroup("exams", help="理论考试")


@exams_cli.command("sweep")
def sweep_command():
    """Finish every attempt whose deadline has passed (the deadline is its finish time)."""
    from app.db import utcnow
    from app.exams.delivery import sweep
    from app.extensions import db
    finished = sweep(utcnow(), limit=100000)
    db.session.commit()
    click.echo(f"已结束超时的答卷 {finished} 份。")

STATS_COLUMNS = ["编号", "作答人次", "通过率", "区分度", "选项分布", "曝光次数", "提示"]


def stats_rows(rows):
    for st, seen in rows:
        options = " ".join(f"{k}:{v}" for k, v in st.option_counts.items())
        yield [st.question_key, st.responses, "" if st.facility is None else round(st.facility, 3),
               "" if st.discrimination is None else round(st.discrimination, 3), options, seen, "、".join(st.flags)]


@questions_cli.command("stats")
@click.argument("item_name")
@click.option("--out", type=click.Path(dir_okay=False), help="同时导出为 .xlsx")
def stats_command(item_name, out):
    """Item statistics from graded attempts of ITEM (flagged questions first)."""
    item = item_by_name(item_name)
    if item is None:
        raise click.ClickException(f"考核项目“{item_name}”不在目录中")
    rows = item_report(item.id)
    if not rows:
        click.echo("还没有已评分的作答。")
        return
    click.echo("\t".join(STATS_COLUMNS))
    for row in stats_rows(rows):
        click.echo("\t".join(str(v) for v in row))
    flagged = sum(1 for st, _ in rows if st.flags)
    click.echo(f"共 {len(rows)} 题，{flagged} 题有提示。")
    if out:
        Path(out).write_bytes(workbook_bytes("题目统计", STATS_COLUMNS, stats_rows(rows)))
        click.echo(f"已导出到 {out}")
