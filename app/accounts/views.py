"""Login, logout, own password, and the admin's user pages."""
from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.accounts import bp, services
from app.accounts.forms import (
    ActiveForm,
    ChangePasswordForm,
    LoginForm,
    ResetPasswordForm,
    UserCreateForm,
    UserRolesForm,
)
from app.accounts.models import Role, User
from app.accounts.permissions import login_required, role_required
from app.core.errors import DomainError
from app.core.forms import apply_domain_error
from app.core.ids import IdNumberError, normalise_id_number
from app.core.pagination import paginate
from app.db import utcnow
from app.extensions import client_ip, db, limiter
from app.people.models import Employer, Person


def _login_fail_limit() -> str:
    return current_app.config["LOGIN_FAIL_LIMIT"]


def _login_account_key() -> str:
    return "login-account:" + (request.form.get("username") or "").strip().lower()


def _failed() -> bool:
    return bool(g.get("login_failed"))


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_fail_limit, key_func=client_ip, methods=["POST"], deduct_when=lambda r: _failed())
@limiter.limit(_login_fail_limit, key_func=_login_account_key, methods=["POST"], deduct_when=lambda r: _failed())
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            g.login_failed = True
            db.session.rollback()
            form.password.errors.append(_("用户名或密码不正确，或账号已停用"))
            return render_template("accounts/login.html", form=form), 200
        next_url = _safe_next(request.args.get("next"))
        session.clear()  # a new session at login: nothing from before survives (no fixation)
        login_user(user)
        session["last_seen"] = utcnow().timestamp()
        db.session.commit()
        return redirect(next_url or url_for("core.index"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(current_user, form.current_password.data, form.password.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # the session id embeds the password hash; keep this one
            flash(_("密码已修改。"), "success")
            return redirect(url_for("core.index"))
    return render_template("accounts/change_password.html", form=form)


# ---- admin: users -------------------------------------------------------------------------

@bp.route("/admin/users")
@role_required(Role.ADMIN)
def users():
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    stmt = sa.select(User).order_by(User.username)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(sa.or_(User.username.ilike(like), User.display_name.ilike(like)))
    if role in {str(r) for r in Role}:
        stmt = stmt.where(User.role_rows.any(role=role))
    return render_template("accounts/users.html", page=paginate(stmt), q=q, role=role, Role=Role)


def _employer_choices():
    rows = db.session.execute(sa.select(Employer.id, Employer.name).order_by(Employer.name)).all()
    return [(0, _("（无）"))] + [(r.id, r.name) for r in rows]


def _person_id_from(form) -> int | None:
    raw = (form.person_id_number.data or "").strip()
    if not raw:
        return None
    try:
        number = normalise_id_number(raw)
    except IdNumberError as exc:
        raise DomainError(str(exc), field="person_id_number") from None
    person_id = db.session.scalar(sa.select(Person.id).where(Person.id_number == number))
    if person_id is None:
        raise DomainError(_("没有找到这个身份证号码的人员，请先在“人员”中登记"), field="person_id_number")
    return person_id


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_new():
    form = UserCreateForm()
    form.employer_id.choices = _employer_choices()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.username.data, form.display_name.data, form.password.data,
                {Role(r) for r in form.roles.data}, employer_id=form.employer_id.data or None,
                person_id=_person_id_from(form), must_change_password=form.must_change_password.data,
                actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已创建用户 %(name)s。", name=user.username), "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    return render_template("accounts/user_new.html", form=form)


def get_user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_detail(user_id: int):
    user = get_user_or_404(user_id)
    form = UserRolesForm(obj=None if request.method == "POST" else user)
    form.employer_id.choices = _employer_choices()
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.employer_id.data = user.employer_id or 0
        form.person_id_number.data = user.person.id_number if user.person else ""
    if form.validate_on_submit():
        try:
            services.set_roles(user, {Role(r) for r in form.roles.data},
                               employer_id=form.employer_id.data or None, person_id=_person_id_from(form),
                               actor=current_user, reason=form.reason.data or "")
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("已保存 %(name)s 的角色。", name=user.username), "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    return render_template("accounts/user_detail.html", user=user, form=form,
                           reset_form=ResetPasswordForm(), active_form=ActiveForm())


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@role_required(Role.ADMIN)
def user_reset_password(user_id: int):
    user = get_user_or_404(user_id)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        flash(_("请填写新密码。"), "danger")
        return redirect(url_for("accounts.user_detail", user_id=user.id))
    try:
        services.reset_password(user, form.new_password.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("已重置 %(name)s 的密码，对方下次登录时需修改。", name=user.username), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@role_required(Role.ADMIN)
def user_set_active(user_id: int):
    user = get_user_or_404(user_id)
    form = ActiveForm()
    active = request.form.get("active") == "1"
    if not form.validate_on_submit():
        flash(_("请填写原因。"), "danger")
        return redirect(url_for("accounts.user_detail", user_id=user.id))
    try:
        services.set_active(user, active, actor=current_user, reason=form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("账号已启用。") if active else _("账号已停用。"), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


def load_user(user_id: str):
    ident, _sep, suffix = (user_id or "").partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.is_active or user.password_hash[-12:] != suffix:
        return None
    return user
