"""flask content check | load"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.content import loader, services
from app.extensions import db

content_cli = AppGroup("content", help="应急文化内容")


@content_cli.command("check")
@click.option("--dir", "root", type=click.Path(file_okay=False), default=None, help="内容目录（默认 culture/）")
def check_command(root):
    """Check the files under culture/ without loading them (exit 1 on errors)."""
    culture = loader.read_culture(root or loader.CULTURE_DIR)
    for problem in culture.problems:
        click.echo(f"错误：{problem}")
    for warning in culture.warnings:
        click.echo(f"提示：{warning}")
    click.echo(f"活动 {len(culture.events)} 个，内容 {len(culture.items)} 篇，公众题 {len(culture.questions)} 道；"
               f"错误 {len(culture.problems)} 处，提示 {len(culture.warnings)} 条。")
    if culture.problems:
        raise SystemExit(1)


@content_cli.command("load")
@click.option("--dir", "root", type=click.Path(file_okay=False), default=None, help="内容目录（默认 culture/）")
def load_command(root):
    """Load culture/ (idempotent; what editors changed in the system is kept)."""
    try:
        summary = loader.load_culture(root or loader.CULTURE_DIR,
                                      speed=services.chars_per_minute(current_app.config))
    except ValueError as exc:
        db.session.rollback()
        problems = exc.args[0] if exc.args and isinstance(exc.args[0], list) else [str(exc)]
        for problem in problems:
            click.echo(f"错误：{problem}", err=True)
        raise click.ClickException("内容文件有错误，未导入任何内容（先运行 flask content check）") from None
    db.session.commit()
    c, u = summary.created, summary.updated
    click.echo(f"新增：活动 {c['events']}，内容 {c['items']}，公众题 {c['questions']}；"
               f"更新：活动 {u['events']}，内容 {u['items']}，公众题 {u['questions']}；未变 {summary.unchanged}。")
    for kept in summary.kept:
        click.echo(f"保留编辑在系统中的修改：{kept}")


@content_cli.command("reading-times")
def reading_times_command():
    """Recompute the reading time of every broadcast script at the configured speed
    (CONTENT_READING_CHARS_PER_MINUTE, default 240 characters a minute)."""
    speed = services.chars_per_minute(current_app.config)
    changed = services.recompute_reading_times(speed)
    db.session.commit()
    click.echo(f"按每分钟 {speed} 字重新计算播读时长：{changed} 篇广播稿有变化。")
