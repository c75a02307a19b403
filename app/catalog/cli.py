"""flask catalog …"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.catalog import services
from app.core.errors import DomainError
from app.extensions import db

catalog_cli = AppGroup("catalog", help="考核项目目录")


@catalog_cli.command("load")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="覆盖管理员在界面中的修改")
def load_command(path, force):
    """Load question_bank/catalog.yaml (idempotent)."""
    try:
        summary = services.load_catalog(path or services.DEFAULT_CATALOG, force=force)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"目录版本 {summary.version}：新增 {len(summary.created)}，更新 {len(summary.updated)}，未变 {summary.unchanged}")
