import sqlalchemy as sa

from app.core import audit
from app.core.audit import AuditEntry, verify_chain
from app.extensions import db


def _three_entries():
    for i in range(3):
        audit.record("test.action", "thing", i, before={"v": i}, after={"v": i + 1}, reason=f"原因{i}")
    db.session.flush()
    return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(3)).all()[::-1]


def test_chain_verifies_and_links_each_entry_to_the_previous(app):
    with app.app_context():
        a, b, c = _three_entries()
        assert b.prev_hash == a.hash and c.prev_hash == b.hash
        checked, problem = verify_chain()
        assert problem is None
        assert checked >= 3


def test_an_edited_row_is_found(app):
    with app.app_context():
        _a, b, _c = _three_entries()
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == b.id).values(after={"v": 999}))
        _n, problem = verify_chain()
        assert problem is not None and problem.seq == b.seq
        assert "修改" in problem.message


def test_a_deleted_row_is_found(app):
    with app.app_context():
        _a, b, c = _three_entries()
        db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id == b.id))
        _n, problem = verify_chain()
        assert problem is not None and problem.entry_id == c.id


def test_reordered_rows_are_found(app):
    with app.app_context():
        _a, b, c = _three_entries()
        # swap the contents of two rows, as an attacker reordering history would
        fields = ("seq", "action", "object_id", "before", "after", "reason", "prev_hash", "hash", "created_at")
        vb = {f: getattr(b, f) for f in fields}
        vc = {f: getattr(c, f) for f in fields}
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == b.id).values(seq=-1, hash="x" * 64))
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == c.id).values(**vb))
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == b.id).values(**vc))
        _n, problem = verify_chain()
        assert problem is not None and problem.entry_id == b.id


def test_cli_verify_exits_non_zero_and_names_the_entry(app):
    with app.app_context():
        _a, b, _c = _three_entries()
        runner = app.test_cli_runner()
        ok = runner.invoke(args=["audit", "verify"])
        assert ok.exit_code == 0, ok.output
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == b.id).values(reason="篡改"))
        bad = runner.invoke(args=["audit", "verify"])
        assert bad.exit_code == 1
        assert f"第 {b.seq} 条" in bad.output
