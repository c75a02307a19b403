"""flask rubrics check | load"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.core.errors import DomainError
from app.extensions import db
from app.practical import rubrics
from app.practical.rubric_store import load_rubrics

rubrics_cli = AppGroup("rubrics", help="实操评分表")


@rubrics_cli.command("check")
@click.argument("path", required=False, type=click.Path(exists=True))
def check_command(path):
    """Check the rubric files (default: question_bank/rubrics/); exit 1 on any error."""
    reports = rubrics.check_folder(Path(path) if path else rubrics.RUBRIC_DIR)
    if not reports:
        click.echo("没有找到评分表文件（*.yaml）。", err=True)
        sys.exit(1)
    failed = 0
    for r in reports:
        pools = "，".join(f"{code} {n} 题" for code, n in r.counts.items())
        click.echo(f"{r.path.name}（{r.item or '?'} 第 {r.version or '?'} 版）：{pools}")
        for warning in r.warnings:
            click.echo(f"  ! {warning}")
        for error in r.errors:
            click.echo(f"  ✗ {error}", err=True)
        failed += bool(r.errors)
    if failed:
        click.echo(f"{failed} 个文件有错误。", err=True)
        sys.exit(1)
    click.echo(f"全部 {len(reports)} 个文件检查通过。")


@rubrics_cli.command("load")
@click.argument("path", required=False, type=click.Path(exists=True))
def load_command(path):
    """Check and store new rubric versions (all or nothing; loaded versions are never changed)."""
    try:
        result = load_rubrics(Path(path) if path else rubrics.RUBRIC_DIR)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    for label in result.created:
        click.echo(f"  + {label}")
    click.echo(f"新增 {len(result.created)} 个版本，已存在 {len(result.unchanged)} 个。")
