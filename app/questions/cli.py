"""flask questions check | import | export"""
from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.core.errors import DomainError
from app.extensions import db
from app.questions import exporting, services
from app.questions.bankfiles import BANK_DIR, check_bank, format_counts

questions_cli = AppGroup("questions", help="题库")


@questions_cli.command("check")
@click.argument("path", required=False, type=click.Path(exists=True))
def check_command(path):
    """Validate the question files (default: question_bank/); exit 1 on any problem."""
    reports = check_bank(Path(path) if path else BANK_DIR)
    failed = 0
    for report in reports:
        total = sum(report.counts.values())
        click.echo(f"{report.path}（{report.subject or '?'}）：{total} 题")
        for line in format_counts(report):
            click.echo(line)
        for problem in report.problems:
            click.echo(f"  ✗ {problem}", err=True)
        failed += bool(report.problems)
    if failed:
        click.echo(f"{failed} 个文件有问题。", err=True)
        sys.exit(1)
    click.echo(f"全部 {len(reports)} 个文件检查通过。")


@questions_cli.command("import")
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--draft", is_flag=True, help="导入为草稿（默认直接启用）")
def import_command(path, draft):
    """Import a bank folder (knowledge points and questions) or one YAML/CSV/XLSX file. All or nothing."""
    path = Path(path) if path else BANK_DIR
    try:
        result = services.import_bank(path, activate=not draft)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    if result.errors:
        db.session.rollback()
        for error in result.errors[:200]:
            click.echo(f"  ✗ {error}", err=True)
        click.echo(f"共 {len(result.errors)} 处错误，没有导入任何题目。", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"新增 {result.created} 题，更新（新版本）{result.new_versions} 题，未变 {result.unchanged} 题。")


@questions_cli.command("export")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--item", "item_name", help="只导出某个考核项目")
def export_command(out, item_name):
    """Export the bank (current versions) to OUT (.yaml or .xlsx)."""
    from app.questions.models import Question
    stmt = sa.select(Question).order_by(Question.external_key)
    if item_name:
        from app.catalog.services import item_by_name
        item = item_by_name(item_name)
        if item is None:
            raise click.ClickException(f"考核项目“{item_name}”不在目录中")
        stmt = stmt.where(Question.items.any(id=item.id))
    questions = db.session.scalars(stmt).all()
    data = exporting.export_bytes(questions, out)
    Path(out).write_bytes(data)
    click.echo(f"已导出 {len(questions)} 题到 {out}")
