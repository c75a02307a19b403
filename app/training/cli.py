"""flask training …: check and load the shipped course outlines."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.core.errors import DomainError
from app.extensions import db
from app.training import courses

training_cli = AppGroup("training", help="培训：课程大纲")


@training_cli.command("check-courses")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=courses.COURSE_DIR, show_default=True)
def check_courses_command(folder):
    """Check every course-outline file against the catalogue and the knowledge points; exit 1 on problems."""
    results = courses.check_course_files(folder)
    bad = 0
    for name, (outline, problems) in results.items():
        if problems:
            bad += 1
            click.echo(f"✗ {name}")
            for p in problems:
                click.echo(f"    {p}")
        else:
            click.echo(f"✓ {name}：{outline.item} {outline.kind} {outline.hours:g} 学时，{len(outline.lessons)} 课")
    if not results:
        click.echo(f"{folder} 中没有课程大纲文件")
    if bad:
        raise SystemExit(1)


@training_cli.command("load-courses")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=courses.COURSE_DIR, show_default=True)
def load_courses_command(folder):
    """Load the course outlines as published versions (idempotent; a course edited in the system is kept)."""
    try:
        lines = courses.load_course_files(folder)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    for line in lines:
        click.echo(line)
    click.echo(f"共 {len(lines)} 个课程大纲文件")
