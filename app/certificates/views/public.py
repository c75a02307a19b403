"""Public pages (no login, phone first): verification by QR token, the JSON answer for employers'
systems, the published keys, the manual lookup with a captcha and the cancellation list."""
from __future__ import annotations

from flask import Response, current_app, jsonify, render_template, request, session
from flask_babel import gettext as _

from app.certificates import api_bp, bp, captcha, services, verification
from app.certificates.forms import LookupForm
from app.certificates.render_worker import photo_uri
from app.extensions import client_ip, limiter
from app.people.photos import photo_path


def _photo_path(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return str(photo_path(current_app.config["UPLOAD_ROOT"], name))
    except FileNotFoundError:
        return None


def _verify_limit() -> str:
    return current_app.config.get("CERT_VERIFY_LIMIT", "60 per minute")


def _lookup_limit() -> str:
    return current_app.config.get("CERT_LOOKUP_LIMIT", "10 per minute")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _public_context() -> dict:
    settings = services.public_settings()[0]
    return {"lookup_url": settings.national_lookup_url, "settings": settings}


@bp.route("/v/", defaults={"cert_token": ""})
@bp.route("/v/<path:cert_token>")
@limiter.limit(_verify_limit, key_func=client_ip)
def verify_page(cert_token: str):
    found = verification.verify(cert_token)
    ctx = _public_context()
    if found is None:  # one neutral page whatever failed
        return _no_store(Response(render_template("certificates/public_verify.html", view=None, photo=None, **ctx)))
    view, match = found
    photo = photo_uri(_photo_path(match.photo_file)) if ctx["settings"].show_photo_public else None
    return _no_store(Response(render_template("certificates/public_verify.html", view=view, photo=photo, **ctx)))


@api_bp.route("/verify")
@limiter.limit(_verify_limit, key_func=client_ip)
def api_verify():
    found = verification.verify(request.args.get("token", ""))
    if found is None:
        body = {"valid": False, "status": "unverifiable", "status_label": "无法验证",
                "message": "无法验证：二维码无效或无法识别，请通过人工查询或全国查询平台核实。"}
    else:
        body = found[0].as_json()
    return _no_store(jsonify(body))


@bp.route("/.well-known/certificate-keys.json")
def published_keys():
    response = jsonify(services.published_keys())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_lookup_limit, key_func=client_ip, methods=["POST"])
def lookup():
    form = LookupForm()
    result = None
    if form.validate_on_submit():
        if not captcha.check(session, current_app.secret_key, form.captcha.data):
            form.captcha.errors = [_("验证码不正确或已失效，请重新计算图中的算式。")]
        else:
            result = verification.lookup(form.number.data, form.name.data) is not None
    elif request.method == "POST":
        session.pop(captcha.SESSION_KEY, None)
    # Never echo what was typed: the page may be left open on a shared phone.
    form.number.data = form.name.data = form.captcha.data = ""
    return _no_store(Response(render_template("certificates/public_lookup.html", form=form, result=result,
                                              **_public_context())))


@bp.route("/verify/captcha.png")
@limiter.limit("30 per minute", key_func=client_ip)
def captcha_image():
    return _no_store(Response(captcha.issue(session, current_app.secret_key), mimetype="image/png"))


@bp.route("/verify/cancelled")
def cancelled():
    return render_template("certificates/public_cancelled.html", rows=verification.cancelled_list(),
                           **_public_context())
