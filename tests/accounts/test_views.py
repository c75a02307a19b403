import re

import pytest

from app import create_app
from app.accounts.models import Role, User
from app.extensions import db
from tests.conftest import PASSWORD


def _post_login(client, username, password, ip="10.0.0.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_login_starts_a_new_session_and_logout_ends_it(client):
    with client.session_transaction() as s:
        s["planted"] = "attacker"
    r = _post_login(client, "t_admin", PASSWORD)
    assert r.status_code == 302
    with client.session_transaction() as s:
        assert "planted" not in s and "_user_id" in s
    assert client.get("/admin/users").status_code == 200
    assert client.get("/logout").status_code == 405  # no state change on GET
    client.post("/logout")
    assert client.get("/admin/users").status_code == 302


def test_wrong_password_is_told_in_chinese(client):
    r = _post_login(client, "t_admin", "nope-nope-nope")
    assert r.status_code == 200
    assert "用户名或密码不正确" in r.get_data(as_text=True)


def test_five_failures_per_account_then_429_even_with_the_right_password(client):
    for i in range(5):
        assert _post_login(client, "t_scheduler", "wrong-password", ip=f"10.1.0.{i}").status_code == 200
    r = _post_login(client, "t_scheduler", PASSWORD, ip="10.1.0.99")
    assert r.status_code == 429
    assert "过于频繁" in r.get_data(as_text=True)
    # another account from another address is not affected
    assert _post_login(client, "t_proctor", PASSWORD, ip="10.9.9.9").status_code == 302


def test_five_failures_per_ip_across_accounts(client):
    for name in ("a1x", "b2x", "c3x", "d4x", "e5x"):
        _post_login(client, name, "wrong-password", ip="10.2.0.1")
    assert _post_login(client, "t_editor", PASSWORD, ip="10.2.0.1").status_code == 429
    assert _post_login(client, "t_editor", PASSWORD, ip="10.2.0.2").status_code == 302


def test_successful_logins_do_not_count(client):
    for _ in range(7):
        assert _post_login(client, "t_trainer", PASSWORD, ip="10.3.0.1").status_code == 302
        client.post("/logout")


def test_staff_idle_timeout(client, login):
    login(Role.SCHEDULER)
    with client.session_transaction() as s:
        s["last_seen"] = s["last_seen"] - 31 * 60
    r = client.get("/people")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get("/people").status_code == 302


def test_forced_password_change_after_reset(client, login, world):
    login(Role.ADMIN)
    r = client.post(f"/admin/users/{world.users[Role.PROCTOR]}/password", data={"new_password": "Reset-by-admin-9"})
    assert r.status_code == 302
    client.post("/logout")
    _post_login(client, "t_proctor", "Reset-by-admin-9")
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/password")
    r = client.post("/account/password", data={"current_password": "Reset-by-admin-9",
                                               "password": "Mine-own-pass-7", "confirm": "Mine-own-pass-7"})
    assert r.status_code == 302
    assert client.get("/").status_code == 200


def test_admin_creates_user_with_roles_through_the_form(client, login, world):
    login(Role.ADMIN)
    r = client.post("/admin/users/new", data={"username": "jk3", "display_name": "监考员三", "password": "Jiankao-3-pass",
                                              "roles": ["proctor", "examiner"], "employer_id": "0"})
    assert r.status_code == 302
    with client.application.app_context():
        user = db.session.query(User).filter_by(username="jk3").one()
        assert user.roles == {Role.PROCTOR, Role.EXAMINER}
    r = client.post("/admin/users/new", data={"username": "jk4", "display_name": "x", "password": "short",
                                              "roles": ["proctor"], "employer_id": "0"})
    assert r.status_code == 200 and "至少需要 10 个字符" in r.get_data(as_text=True)


def test_session_cookie_flags(client):
    r = _post_login(client, "t_admin", PASSWORD)
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.no_db_transaction
def test_csrf_is_enforced_on_forms(app):
    csrf_app = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_ROOT")},
                           "TESTING": True, "SECRET_KEY": "csrf-test", "WTF_CSRF_ENABLED": True})
    c = csrf_app.test_client()
    r = c.post("/login", data={"username": "t_admin", "password": PASSWORD})
    assert r.status_code == 400 and "安全令牌" in r.get_data(as_text=True)
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = c.post("/login", data={"username": "t_admin", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    # the session was replaced at login, so the old token no longer works
    assert c.post("/lang", data={"lang": "en"}, headers={"X-CSRFToken": token}).status_code == 400
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/").get_data(as_text=True)).group(1)
    # JSON/fetch calls carry the token in a header
    assert c.post("/lang", data={"lang": "en"}, headers={"X-CSRFToken": fresh}).status_code == 302
