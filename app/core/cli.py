"""flask audit verify, flask db backup."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate.cli import db as db_group

from app.core.audit import verify_chain
from app.extensions import db

audit_cli = AppGroup("audit", help="审计日志")


@audit_cli.command("verify")
def verify_command():
    """Recompute the hash chain; exit 1 and name the first broken entry if any."""
    checked, problem = verify_chain()
    if problem is not None:
        click.echo(f"审计日志校验失败：第 {problem.seq} 条（id={problem.entry_id}）：{problem.message}", err=True)
        raise SystemExit(1)
    click.echo(f"审计日志完整：共 {checked} 条记录，哈希链无断裂。")


def backup_database(target: Path) -> None:
    """SQLite: the online backup API (safe while the app runs). PostgreSQL: pg_dump."""
    engine = db.engine
    url = engine.url
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        src = sqlite3.connect(url.database)
        dst = sqlite3.connect(str(target))
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    if url.get_backend_name() == "postgresql":
        if not shutil.which("pg_dump"):
            raise click.ClickException("找不到 pg_dump，请安装 PostgreSQL 客户端")
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run(["pg_dump", "--format=custom", "--file", str(target), plain], check=True)
        return
    raise click.ClickException(f"不支持备份 {url.get_backend_name()} 数据库")


def register_db_commands() -> None:
    if "backup" in db_group.commands:
        return

    @db_group.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False))
    def backup_command(path):
        """Back up the database to PATH."""
        backup_database(Path(path))
        click.echo(f"已备份到 {path}")
        current_app.logger.info("database backed up to %s", path)
