"""flask accounts …"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts import services
from app.accounts.models import Role
from app.core.errors import DomainError
from app.extensions import db

accounts_cli = AppGroup("accounts", help="用户账号")


@accounts_cli.command("create-admin")
@click.option("--username", prompt="用户名")
@click.option("--name", "display_name", prompt="姓名")
@click.password_option("--password", prompt="密码（至少 10 个字符）")
def create_admin(username, display_name, password):
    """Create a system administrator."""
    try:
        user = services.create_user(username, display_name, password, {Role.ADMIN})
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"已创建系统管理员 {user.username}")
