"""The certifying officer's pages (Role.ADMIN: the base has no separate certifying role):
proposals and batch issuing, the certificate register, lifecycle actions, settings, batch print."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.permissions import can_view_person, role_required
from app.certificates import bp, pdf, services
from app.certificates import settings as cert_settings
from app.certificates.forms import (
    CancelForm,
    DismissForm,
    PrintForm,
    ReplaceForm,
    ReviewForm,
    RevokeForm,
    SettingsForm,
)
from app.certificates.models import (
    Certificate,
    CertificateProposal,
    CertificateReview,
    PrintJob,
    ProposalState,
)
from app.certificates.rules import CANCELLATION, CERTIFICATE_STATUSES, REVOCATION
from app.core.errors import DomainError
from app.core.forms import apply_domain_error
from app.core.pagination import paginate
from app.extensions import db

OFFICER = (Role.ADMIN,)


def _form_errors(form) -> str:
    return "；".join(str(e) for errors in form.errors.values() for e in errors) or _("提交的内容不完整。")


def get_certificate_or_403(certificate_id: int) -> Certificate:
    """Officers see every certificate; a holder or the holder's employer only their own."""
    cert = db.get_or_404(Certificate, certificate_id)
    if current_user.has_role(Role.ADMIN):
        return cert
    if current_user.has_role(Role.EMPLOYER, Role.CANDIDATE) and can_view_person(current_user, cert.person):
        return cert
    abort(403)


@bp.route("/certificates")
@role_required(*OFFICER)
def register():
    q = (request.args.get("q") or "").strip()[:50]
    status = request.args.get("status", "")
    status = status if status in CERTIFICATE_STATUSES else ""
    page = paginate(services.certificates_query(q=q, status=status))
    return render_template("certificates/register.html", page=page, rows=services.filter_status(page.items, ""), q=q,
                           status=status, statuses=CERTIFICATE_STATUSES)


@bp.route("/certificates/<int:certificate_id>")
@role_required(*OFFICER)
def detail(certificate_id: int):
    cert = get_certificate_or_403(certificate_id)
    reviews = db.session.scalars(sa.select(CertificateReview).where(CertificateReview.certificate_id == cert.id)
                                 .order_by(CertificateReview.id)).all()
    return render_template("certificates/detail.html", cert=cert, status=services.status_of(cert), reviews=reviews,
                           revoke_form=RevokeForm(), cancel_form=CancelForm(), replace_form=ReplaceForm(),
                           review_form=ReviewForm(), revocation=REVOCATION, cancellation=CANCELLATION,
                           verify_url=pdf.verify_url(cert.current_card.token) if cert.current_card else "")


def _lifecycle(certificate_id: int, form_class, action):
    cert = get_certificate_or_403(certificate_id)
    form = form_class()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
        return redirect(url_for("certificates.detail", certificate_id=cert.id))
    try:
        message = action(cert, form)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("certificates.detail", certificate_id=cert.id))


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@role_required(*OFFICER)
def revoke(certificate_id: int):
    def act(cert, form):
        services.revoke_certificate(cert, form.ground.data, form.reason.data)
        return _("证书已撤销。")
    return _lifecycle(certificate_id, RevokeForm, act)


@bp.route("/certificates/<int:certificate_id>/cancel", methods=["POST"])
@role_required(*OFFICER)
def cancel(certificate_id: int):
    def act(cert, form):
        services.cancel_certificate(cert, form.ground.data, form.reason.data)
        return _("证书已注销，并列入公开的注销名单。")
    return _lifecycle(certificate_id, CancelForm, act)


@bp.route("/certificates/<int:certificate_id>/replace", methods=["POST"])
@role_required(*OFFICER)
def replace(certificate_id: int):
    def act(cert, form):
        services.replace_certificate(cert, form.reason.data)
        return _("已补发新证卡（证号不变），旧证卡的二维码核验时显示“已补发”。")
    return _lifecycle(certificate_id, ReplaceForm, act)


@bp.route("/certificates/<int:certificate_id>/review", methods=["POST"])
@role_required(*OFFICER)
def review(certificate_id: int):
    def act(cert, form):
        facts = services.ReviewFacts(violations=form.violations.data or 0, penalised=form.penalised.data,
                                     away_from_job=form.away_from_job.data, long_interval=form.long_interval.data)
        services.review_certificate(cert, facts, form.reason.data)
        return _("复审已记录。")
    return _lifecycle(certificate_id, ReviewForm, act)


@bp.route("/certificates/<int:certificate_id>/pdf")
@role_required(Role.ADMIN, Role.EMPLOYER, Role.CANDIDATE)
def certificate_pdf(certificate_id: int):
    cert = get_certificate_or_403(certificate_id)
    layout = request.args.get("layout", "card")
    if layout not in pdf.LAYOUTS or cert.current_card is None:
        abort(404)
    data = pdf.render_one(cert, layout)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''certificate-{cert.id}-{layout}.pdf",
        "Cache-Control": "private, no-store"})


# ---- proposals and batch issuing -------------------------------------------------------------

@bp.route("/certificates/proposals", methods=["GET", "POST"])
@role_required(*OFFICER)
def proposals():
    if request.method == "POST":
        ids = [int(i) for i in request.form.getlist("proposal_id") if i.isdigit()]
        chosen = db.session.scalars(sa.select(CertificateProposal).where(CertificateProposal.id.in_(ids))
                                    .order_by(CertificateProposal.id)).all() if ids else []
        if not chosen:
            flash(_("请勾选要发证的考生。"), "warning")
            return redirect(url_for("certificates.proposals"))
        issued, refused = services.issue_batch(chosen, actor=current_user)
        db.session.commit()
        flash(_("已发证 %(n)d 本。", n=len(issued)), "success" if issued else "warning")
        for message in refused:
            flash(message, "danger")
        return redirect(url_for("certificates.proposals"))
    pending = db.session.scalars(sa.select(CertificateProposal).where(
        CertificateProposal.state == ProposalState.PENDING).order_by(CertificateProposal.passed_on,
                                                                     CertificateProposal.id)).all()
    return render_template("certificates/proposals.html", pending=pending, dismiss_form=DismissForm())


@bp.route("/certificates/proposals/scan", methods=["POST"])
@role_required(*OFFICER)
def proposals_scan():
    try:
        made = services.propose_all()
    except ImportError:
        db.session.rollback()
        flash(_("实操考试模块尚未启用，无法判断是否全部合格。"), "danger")
        return redirect(url_for("certificates.proposals"))
    db.session.commit()
    flash(_("新增待发证 %(n)d 人。", n=len(made)), "success")
    return redirect(url_for("certificates.proposals"))


@bp.route("/certificates/proposals/<int:proposal_id>/dismiss", methods=["POST"])
@role_required(*OFFICER)
def proposal_dismiss(proposal_id: int):
    proposal = db.get_or_404(CertificateProposal, proposal_id)
    form = DismissForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
        return redirect(url_for("certificates.proposals"))
    try:
        services.dismiss_proposal(proposal, form.reason.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("已记录不予发证。"), "success")
    return redirect(url_for("certificates.proposals"))


# ---- settings ---------------------------------------------------------------------------------

@bp.route("/certificates/settings", methods=["GET", "POST"])
@role_required(*OFFICER)
def settings():
    current = cert_settings.get_settings()
    form = SettingsForm(data=current.__dict__) if request.method == "GET" else SettingsForm()
    if form.validate_on_submit():
        values = {key: getattr(form, key).data for key in cert_settings.SETTING_FIELDS}
        try:
            cert_settings.save_settings(values, reason=form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("证书设置已保存。"), "success")
            return redirect(url_for("certificates.settings"))
    return render_template("certificates/settings.html", form=form)


# ---- batch printing --------------------------------------------------------------------------

def _session_choices() -> list[tuple[int, str]]:
    from app.scheduling.models import ExamSession
    rows = db.session.execute(
        sa.select(ExamSession, sa.func.count(Certificate.id)).join(Certificate, Certificate.session_id == ExamSession.id)
        .group_by(ExamSession.id).order_by(ExamSession.day.desc())).all()
    kinds = {"theory": "理论", "practical": "实操"}
    return [(s.id, f"{s.day:%Y-%m-%d} {s.room.name} {kinds.get(s.kind, s.kind)}（{n} 本）") for s, n in rows]


@bp.route("/certificates/print", methods=["GET", "POST"])
@role_required(*OFFICER)
def print_jobs():
    form = PrintForm()
    form.session_id.choices = [(0, _("请选择"))] + _session_choices()
    if form.validate_on_submit():
        ids = db.session.scalars(sa.select(Certificate.id).where(Certificate.session_id == form.session_id.data)
                                 .order_by(Certificate.number)).all()
        if not ids:
            flash(_("该场次没有证书。"), "warning")
        else:
            label = dict(form.session_id.choices).get(form.session_id.data, "")
            job_id = pdf.create_print_job(list(ids), form.layout.data, str(label), actor=current_user).id
            base = pdf.base_url()
            db.session.commit()
            pdf.start_print_job(job_id, base)
            flash(_("已开始生成，完成后可在下方下载。"), "success")
            return redirect(url_for("certificates.print_jobs"))
    jobs = db.session.scalars(sa.select(PrintJob).order_by(PrintJob.id.desc()).limit(30)).all()
    return render_template("certificates/print_jobs.html", form=form, jobs=jobs, layouts=pdf.LAYOUT_LABELS)


@bp.route("/certificates/print/<int:job_id>")
@role_required(*OFFICER)
def print_job_status(job_id: int):
    job = db.get_or_404(PrintJob, job_id)
    return jsonify({"id": job.id, "state": job.state, "done": job.done, "total": job.total, "error": job.error,
                    "download": url_for("certificates.print_job_download", job_id=job.id) if job.state == "done" else None})


@bp.route("/certificates/print/<int:job_id>/download")
@role_required(*OFFICER)
def print_job_download(job_id: int):
    job = db.get_or_404(PrintJob, job_id)
    if job.state != "done" or not job.file_name:
        abort(404)
    path = pdf.prints_dir() / job.file_name
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=f"certificates-{job.id}.pdf")
