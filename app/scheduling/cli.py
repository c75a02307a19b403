"""flask schedule load-site | plan | allocate"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.core.errors import DomainError
from app.extensions import db
from app.scheduling import placement, sessions, setup

schedule_cli = AppGroup("schedule", help="考场、场次与排考")


def _fail(exc: DomainError):
    db.session.rollback()
    raise click.ClickException(exc.message)


@schedule_cli.command("load-site")
def load_site_command():
    """Create the rooms, stations and seats of question_bank/site.yaml (idempotent)."""
    try:
        created = setup.load_site()
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"新增考场/考位 {created} 个。")


@schedule_cli.command("plan")
@click.option("--year", type=int, required=True)
@click.option("--holidays-entered", is_flag=True, help="该年节假日数据缺失时，确认已手工录入节假日和调休")
def plan_command(year, holidays_entered):
    """Create a year of planned sessions from the weekly templates over the working days."""
    try:
        created, skipped = sessions.plan_year(year, setup.load_templates(), allow_unknown_holidays=holidays_entered)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{year} 年：新建场次 {created} 个，已存在 {skipped} 个。")


@schedule_cli.command("allocate")
@click.option("--apply", "apply_", is_flag=True, help="写入（默认只预览）")
def allocate_command(apply_):
    """Place approved registrations in sessions; preview unless --apply."""
    preview = placement.preview_allocation()
    result = preview.allocation
    click.echo(f"可安排 {len(result.placements)} 人，无法安排 {len(result.unplaced)} 人。")
    for u in result.unplaced[:50]:
        reg = preview.registrations[u.registration_id]
        click.echo(f"  ✗ {reg.person.name} {reg.item.name}：{u.reason}")
    if apply_:
        placement.apply_allocation(preview)
        db.session.commit()
        click.echo("已写入。")
    else:
        db.session.rollback()
        click.echo("（预览，未写入；加 --apply 写入）")
