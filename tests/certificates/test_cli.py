"""flask certificates …: keys, rotation, compromise with reissue, verify-token and print."""
import datetime as dt

import pypdfium2 as pdfium

from app.certificates.models import Certificate
from app.extensions import db
from tests.certificates.conftest import issue


def test_keys_rotate_compromise_and_verify_token(app, outcomes, tmp_path):
    with app.app_context():
        cert = issue(outcomes, name="郑昇", today=dt.date.today() - dt.timedelta(days=5))
        db.session.commit()
        cid, token, kid, id_number = cert.id, cert.current_card.token, cert.current_card.key_id, cert.person.id_number
    runner = app.test_cli_runner()
    out = runner.invoke(args=["certificates", "verify-token", token])
    assert out.exit_code == 0 and "签名有效" in out.output and "当前状态：有效" in out.output
    assert id_number not in out.output and id_number[:4] + "*" * 10 + id_number[-4:] in out.output
    out = runner.invoke(args=["certificates", "rotate-key"])
    assert out.exit_code == 0
    listing = runner.invoke(args=["certificates", "keys"]).output
    assert f"{kid}  retired" in listing and "active" in listing and "PRIVATE" not in listing
    assert runner.invoke(args=["certificates", "verify-token", token]).exit_code == 0
    out = runner.invoke(args=["certificates", "compromise-key", kid])
    assert out.exit_code == 0 and "已为 1 本有效证书换发新证卡" in out.output
    bad = runner.invoke(args=["certificates", "verify-token", token])
    assert bad.exit_code != 0 and "无法验证" in bad.output
    with app.app_context():
        new_token = db.session.get(Certificate, cid).current_card.token
    assert new_token != token and runner.invoke(args=["certificates", "verify-token", new_token]).exit_code == 0
    assert runner.invoke(args=["certificates", "compromise-key", "zzzz"]).exit_code != 0
    with app.app_context():
        import sqlalchemy as sa

        from app.core.audit import AuditEntry
        actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "signing_key")).all()
        assert actions == ["certificates.rotate_key", "certificates.compromise_key"]


def test_print_command_writes_one_pdf_with_a_progress_bar(app, outcomes, tmp_path):
    with app.app_context():
        ids = [issue(outcomes, name=n).id for n in ("冯堃", "陈彧")]
        db.session.commit()
    target = tmp_path / "batch.pdf"
    out = app.test_cli_runner().invoke(args=["certificates", "print", "--ids", ",".join(map(str, ids)),
                                             "--layout", "card", "--workers", "1", "--out", str(target)])
    assert out.exit_code == 0, out.output
    assert "生成证书" in out.output and "2 本" in out.output
    doc = pdfium.PdfDocument(target.read_bytes())
    try:
        assert len(doc) == 4
    finally:
        doc.close()
    assert app.test_cli_runner().invoke(args=["certificates", "print", "--out", str(target)]).exit_code != 0
