"""flask certificates keys | rotate-key | compromise-key | verify-token | propose | print"""
from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.certificates import pdf, services, signing, verification
from app.certificates.models import Certificate
from app.core import audit
from app.core.errors import DomainError
from app.extensions import db

certificates_cli = AppGroup("certificates", help="证书：签名密钥、核验、发证与打印")


def _fail(exc: DomainError):
    db.session.rollback()
    raise click.ClickException(exc.message)


@certificates_cli.command("keys")
def keys_command():
    """List the signing keys and their status (private keys are never printed)."""
    ring = services.keyring()
    ring.active()  # created on first use
    for k in ring.keys():
        click.echo(f"{k.key_id}  {k.status:<11} 创建 {k.created_at}"
                   + (f"  停用 {k.retired_at}" if k.retired_at else "")
                   + (f"  泄露 {k.compromised_at}" if k.compromised_at else ""))


@certificates_cli.command("rotate-key")
def rotate_key_command():
    """A new signing key for new tokens; the old key keeps verifying what it signed."""
    kid = services.keyring().rotate()
    audit.record("certificates.rotate_key", "signing_key", kid, after={"active": kid}, reason="密钥轮换")
    db.session.commit()
    click.echo(f"新的签名密钥：{kid}。此前签发的二维码仍可核验。")


@certificates_cli.command("compromise-key")
@click.argument("key_id")
@click.option("--reissue/--no-reissue", default=True, show_default=True, help="为受影响的有效证书换发新证卡")
def compromise_key_command(key_id, reissue):
    """Mark a key compromised: all its tokens fail from now on."""
    try:
        services.keyring().compromise(key_id)
    except KeyError:
        raise click.ClickException(f"没有编号为 {key_id} 的密钥") from None
    audit.record("certificates.compromise_key", "signing_key", key_id, after={"status": "compromised"},
                 reason="密钥泄露，停止使用")
    db.session.commit()
    click.echo(f"密钥 {key_id} 已标记为泄露，它签发的二维码全部无法核验。")
    if reissue:
        try:
            n = services.reissue_for_key(key_id)
        except DomainError as exc:
            _fail(exc)
        db.session.commit()
        click.echo(f"已为 {n} 本有效证书换发新证卡，请重新打印。")


@certificates_cli.command("verify-token")
@click.argument("token")
def verify_token_command(token):
    """Check a token locally: signature with the published keys, then the live status."""
    claims = signing.verify_token(token.strip(), services.keyring().public_key)
    if claims is None:
        raise click.ClickException("无法验证：签名无效、密钥未知或已停用，或格式不正确")
    click.echo(f"签名有效：密钥 {claims.key_id}，证卡 {claims.public_id}，项目 {claims.item_id}，"
               f"有效期至 {claims.valid_until:%Y-%m-%d}")
    found = verification.verify(token.strip())
    if found is None:
        raise click.ClickException("签名有效，但本基地没有与之一致的证卡记录")
    view = found[0]
    click.echo(f"当前状态：{view.status_label}；{view.name} {view.id_number} {view.item}，有效期至 {view.valid_until}")


@certificates_cli.command("propose")
def propose_command():
    """Propose certificates for everyone who passed every required part (idempotent)."""
    made = services.propose_all()
    db.session.commit()
    click.echo(f"新增待发证 {len(made)} 人。")


@certificates_cli.command("print")
@click.option("--session", "session_id", type=int, help="考试场次编号")
@click.option("--ids", help="证书编号（数据库 id），逗号分隔")
@click.option("--layout", type=click.Choice(sorted(pdf.LAYOUTS)), default="card", show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True)
@click.option("--workers", default=pdf.WORKERS, show_default=True)
def print_command(session_id, ids, layout, out_path, workers):
    """All certificates of a session (or the listed ones) as one PDF, with a progress bar."""
    stmt = sa.select(Certificate).order_by(Certificate.number)
    if session_id:
        stmt = stmt.where(Certificate.session_id == session_id)
    elif ids:
        stmt = stmt.where(Certificate.id.in_([int(i) for i in ids.split(",") if i.strip().isdigit()]))
    else:
        raise click.ClickException("请用 --session 或 --ids 指定要打印的证书")
    certs = db.session.scalars(stmt).unique().all()
    if not certs:
        raise click.ClickException("没有符合条件的证书")
    with click.progressbar(length=len(certs), label="生成证书") as bar:
        last = [0]

        def progress(n):
            bar.update(n - last[0])
            last[0] = n

        data = pdf.render_batch(certs, layout, workers=workers, progress=progress)
    Path(out_path).write_bytes(data)
    click.echo(f"已写出 {out_path}：{len(certs)} 本，{len(data) // 1024} KB")
