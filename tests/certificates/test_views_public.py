"""The public verification page, its JSON twin, the published keys, the manual lookup and the
cancellation list: live status, a neutral failure, and nothing that identifies the holder."""
import datetime as dt
import re
import statistics
import time

import pytest
import sqlalchemy as sa

from app.certificates import captcha, services, signing
from app.certificates.models import Certificate
from app.core.timeutil import local_today
from app.extensions import db
from app.people.models import Person
from tests.certificates.conftest import issue


@pytest.fixture
def cert_token(app, outcomes):
    with app.app_context():
        cert = issue(outcomes, name="张晓明", today=local_today() - dt.timedelta(days=30))
        db.session.commit()
        return cert.id, cert.current_card.token, cert.person.id_number


def test_valid_certificate_page(client, cert_token):
    _id, token, id_number = cert_token
    r = client.get(f"/v/{token}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert "有效" in page and "张*明" in page and "张晓明" not in page
    assert id_number[:4] + "**********" + id_number[-4:] in page
    assert "低压电工作业" in page and "阜新市应急管理局" in page and "cx.mem.gov.cn" in page
    assert "纸质证书" in page  # the reminder that the printed card must match
    assert "<img" not in page  # no photo unless the base enables it


def test_photo_only_when_enabled(app, client, cert_token, world):
    cid, token, _ = cert_token
    with app.app_context():
        cert = db.session.get(Certificate, cid)
        cert.person.photo_file = db.session.get(Person, world.person_a).photo_file
        services.save_settings({"show_photo_public": True}, reason="试行")
        db.session.commit()
    assert 'alt="持证人照片"' in client.get(f"/v/{token}").get_data(as_text=True)


def test_revoked_shows_on_the_next_request(app, client, cert_token):
    cid, token, _ = cert_token
    assert "有效" in client.get(f"/v/{token}").get_data(as_text=True)
    with app.app_context():
        services.revoke_certificate(db.session.get(Certificate, cid), "accident", "事故调查认定负有责任")
        db.session.commit()
    page = client.get(f"/v/{token}").get_data(as_text=True)
    assert "已撤销" in page
    assert client.get(f"/api/v1/certificates/verify?token={token}").get_json()["status"] == "revoked"


def test_rotation_keeps_old_certificates_and_compromise_fails_them(app, client, cert_token, outcomes):
    _cid, token, _ = cert_token
    with app.app_context():
        old_kid = services.keyring().active()[0]
        services.keyring().rotate()
        newer = issue(outcomes, name="李喆")
        db.session.commit()
        new_token = newer.current_card.token
    assert "有效" in client.get(f"/v/{token}").get_data(as_text=True)
    with app.app_context():
        services.keyring().compromise(old_kid)
    assert "无法验证" in client.get(f"/v/{token}").get_data(as_text=True)
    assert "有效" in client.get(f"/v/{new_token}").get_data(as_text=True)
    keys = client.get("/.well-known/certificate-keys.json").get_json()
    assert {k["key_id"]: k["status"] for k in keys["keys"]}[old_kid] == "compromised"


def test_json_answer_is_minimal(client, cert_token):
    _cid, token, id_number = cert_token
    body = client.get(f"/api/v1/certificates/verify?token={token}").get_json()
    assert body["valid"] is True and body["status"] == "valid" and body["status_label"] == "有效"
    assert set(body) == {"valid", "status", "status_label", "name", "id_number", "number", "item", "issued_on",
                         "valid_until", "review_due", "last_review_on", "authority", "replaced_at", "revoked_on",
                         "cancelled_on"}
    bad = client.get("/api/v1/certificates/verify?token=abc").get_json()
    assert bad == {"valid": False, "status": "unverifiable", "status_label": "无法验证",
                   "message": bad["message"]}


def _failures(token: str, app) -> dict[str, str]:
    raw = bytearray(signing._decode(token))
    flipped = bytearray(raw)
    flipped[-1] ^= 1
    unknown_kid = bytearray(raw)
    unknown_kid[1:3] = b"\xff\xfe"
    with app.app_context():
        kid, key = services.keyring().active()
        unknown_card = signing.sign_token(key, kid, "ab" * 10, raw[13] * 256 + raw[14], dt.date(2030, 1, 1))
    return {"malformed": "not-a-token", "truncated": token[:50], "bad_signature": signing.b64url(bytes(flipped)),
            "unknown_key": signing.b64url(bytes(unknown_kid)), "unknown_card": unknown_card,
            "oversized": token * 40, "slash": "a/b/c", "empty": ""}


def test_every_failure_gets_the_same_neutral_answer(app, client, cert_token):
    _cid, token, _ = cert_token
    answers = {}
    for name, bad in _failures(token, app).items():
        r = client.get(f"/v/{bad}")
        headers = {k: v for k, v in r.headers.items() if k not in ("Content-Length", "Date", "Set-Cookie")}
        answers[name] = (r.status_code, r.get_data(as_text=True), tuple(sorted(headers.items())))
        j = client.get("/api/v1/certificates/verify", query_string={"token": bad})
        assert j.status_code == 200 and j.get_json()["valid"] is False
    assert len(set(answers.values())) == 1, list(answers)
    status, page, _h = answers["malformed"]
    assert status == 200 and "无法验证" in page
    for word in ("签名", "密钥", "格式", "不存在"):
        assert word not in page


def test_failure_timing_does_not_tell_what_failed(app, client, cert_token):
    """Medians of each failure kind stay within a factor of two of each other (same work done)."""
    _cid, token, _ = cert_token
    app.config["CERT_VERIFY_LIMIT"] = "100000 per minute"
    try:
        kinds = _failures(token, app)
        del kinds["oversized"], kinds["slash"], kinds["empty"]
        times = {k: [] for k in kinds}
        for _round in range(40):
            for name, bad in kinds.items():
                t0 = time.perf_counter()
                client.get(f"/v/{bad}")
                times[name].append(time.perf_counter() - t0)
        medians = {k: statistics.median(v) for k, v in times.items()}
        assert max(medians.values()) < 2 * min(medians.values()), medians
    finally:
        app.config.pop("CERT_VERIFY_LIMIT")


def test_verification_is_rate_limited_per_ip(app, client, cert_token):
    _cid, token, _ = cert_token
    codes = [client.get(f"/v/{token}").status_code for _ in range(65)]
    assert codes[:60] == [200] * 60 and codes[-1] == 429
    other = app.test_client()
    assert other.get(f"/v/{token}", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 200


BIRTH = re.compile(r"(19|20)\d{2}[-年./]?(0[1-9]|1[0-2])[-月./]?(0[1-9]|[12]\d|3[01])")


def test_no_public_page_or_json_shows_a_full_id_number_or_birth_date(app, client, cert_token, outcomes):
    cid, token, id_number = cert_token
    with app.app_context():
        cancelled = issue(outcomes, name="欧阳娜娜", today=local_today() - dt.timedelta(days=10))
        services.cancel_certificate(cancelled, "requested", "本人申请")
        replaced = issue(outcomes, name="王玥")
        old = replaced.current_card.token
        services.replace_certificate(replaced, "遗失")
        people = db.session.scalars(sa.select(Person)).all()
        secrets = {p.id_number for p in people} | {p.birth_date.strftime(f) for p in people
                                                    for f in ("%Y%m%d", "%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d")}
        db.session.commit()
    captcha_r = client.get("/verify/captcha.png")
    assert captcha_r.mimetype == "image/png"
    pages = [client.get(u) for u in (f"/v/{token}", f"/v/{old}", "/v/nonsense", "/verify", "/verify/cancelled",
                                     f"/api/v1/certificates/verify?token={token}",
                                     f"/api/v1/certificates/verify?token={old}", "/.well-known/certificate-keys.json")]
    with client.session_transaction() as s:
        s.pop(captcha.SESSION_KEY, None)
    pages.append(client.post("/verify", data={"number": "T" + id_number, "name": "张晓明", "captcha": "1"}))
    for r in pages:
        text = r.get_data(as_text=True)
        assert r.status_code == 200
        leaked = [s for s in secrets if s in text]
        assert not leaked, (r.request.path, leaked)
        assert "欧阳娜娜" not in text and "张晓明" not in text
        for m in BIRTH.finditer(text):  # dates shown are issue/valid/review dates, never a birth date
            assert m.group(0) not in secrets


def _answer(client) -> int:
    """Solve the captcha the way a person would: read the session's challenge via a fresh one."""
    with client.session_transaction() as s:
        data = s[captcha.SESSION_KEY]
    for guess in range(0, 60):
        if captcha._digest("test-secret-key", data["n"], guess) == data["h"]:
            return guess
    raise AssertionError("no answer")


def test_manual_lookup_answers_match_or_no_match_with_a_single_use_captcha(client, cert_token):
    _cid, _token, id_number = cert_token
    number = "T" + id_number
    client.get("/verify/captcha.png")
    answer = _answer(client)
    r = client.post("/verify", data={"number": number, "name": "张晓明", "captcha": str(answer)})
    page = r.get_data(as_text=True)
    assert "查询结果：有此证书记录" in page and "低压电工作业" not in page
    # the same challenge again (a replayed cookie) is refused
    nonce = f"replay-{time.time()}"
    form = {"number": number, "name": "张晓明", "captcha": "5"}
    for expected in ("查询结果：有此证书记录", "验证码不正确"):
        with client.session_transaction() as s:
            s[captcha.SESSION_KEY] = {"n": nonce, "t": int(time.time()),
                                      "h": captcha._digest("test-secret-key", nonce, 5)}
        assert expected in client.post("/verify", data=form).get_data(as_text=True)
    client.get("/verify/captcha.png")
    answer = _answer(client)
    page = client.post("/verify", data={"number": number, "name": "张小明", "captcha": str(answer)}).get_data(as_text=True)
    assert "查询结果：未查到" in page
    wrong = client.post("/verify", data={"number": number, "name": "张晓明", "captcha": "999"}).get_data(as_text=True)
    assert "验证码不正确" in wrong and "查询结果：有此证书记录" not in wrong, wrong


def test_cancellation_page_lists_cancelled_certificates_masked(app, client, outcomes):
    with app.app_context():
        cert = issue(outcomes, name="司马彧")
        services.cancel_certificate(cert, "died", "死亡证明")
        db.session.commit()
    page = client.get("/verify/cancelled").get_data(as_text=True)
    assert "司*彧" in page and "特种作业人员死亡" in page and "司马彧" not in page


def test_published_keys_document(client, cert_token):
    body = client.get("/.well-known/certificate-keys.json").get_json()
    assert body["algorithm"] == "Ed25519" and body["epoch"] == "2000-01-01"
    assert body["keys"] and all(len(k["key_id"]) == 4 for k in body["keys"])
    assert "低压电工作业" in body["items"].values()


def test_mutated_tokens_through_the_database_and_http_are_refused_without_errors(app, client, cert_token):
    """10,000 mutations of a genuine token through the full verification (signature, then database),
    and 1,000 of them through the page and the JSON API: none accepted, never a 500."""
    import random
    from urllib.parse import unquote

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from app.certificates import verification
    from tests.certificates.test_signing import _mutations

    _cid, token, _ = cert_token
    app.config["CERT_VERIFY_LIMIT"] = "1000000 per minute"
    try:
        with app.app_context():
            ring = services.keyring()
            kid = ring.active()[0]
            ring.rotate()
            other = signing.sign_token(ring.active()[1], ring.active()[0], "cd" * 10, 1, dt.date(2030, 1, 1))
            foreign = signing.sign_token(Ed25519PrivateKey.generate(), kid, signing._decode(token)[3:13].hex(),
                                         int.from_bytes(signing._decode(token)[13:15], "big"), dt.date(2032, 1, 1))
            rng = random.Random(7)
            bad = [m for m in (_mutations(token, rng, foreign, other) for _ in range(10_000)) if m != token]
            assert verification.verify(token) is not None
            assert [m for m in bad if verification.verify(m) is not None] == []
        for m in bad[:1000]:
            if unquote(m).strip() == token:
                continue  # "%41" for "A", or surrounding white space: the same URL as a browser sends it
            page = client.get("/v/" + m)
            assert page.status_code == 200 and "无法验证" in page.get_data(as_text=True), repr(m)
            api = client.get("/api/v1/certificates/verify", query_string={"token": m})
            assert api.status_code == 200 and api.get_json()["valid"] is False
    finally:
        app.config.pop("CERT_VERIFY_LIMIT")
