"""Errors a person can act on, and the Chinese error pages / JSON error bodies."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A business rule refused the request. ``message`` is shown to the person as is."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotAllowed(DomainError):
    code = "not_allowed"


ERROR_TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的请求方式",
    409: "操作冲突",
    413: "上传的文件太大",
    429: "操作过于频繁",
    500: "服务器内部错误",
    503: "服务暂不可用",
}
ERROR_HINTS = {
    400: "提交的内容不完整或已过期，请返回上一页刷新后重试。",
    401: "请登录后再访问此页面。",
    403: "您的账号没有访问此页面的权限。如需开通，请联系系统管理员。",
    404: "您访问的页面不存在或已被移除，请检查网址。",
    405: "此页面不接受这种请求方式。",
    409: "数据已被其他操作修改，请刷新后重试。",
    413: "上传的文件超过了允许的大小，请压缩或拆分后重试。",
    429: "尝试次数过多，请 15 分钟后再试。",
    500: "系统出现了意外错误，已记录。请稍后重试，或联系系统管理员。",
    503: "系统正在维护或数据库暂不可用，请稍后重试。",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str | None = None, message: str | None = None):
    title = _(ERROR_TITLES.get(status, "出错了"))
    hint = message or _(ERROR_HINTS.get(status, ""))
    if wants_json():
        body = {"error": {"code": code or f"http_{status}", "message": hint}}
        return jsonify(body), status
    return render_template("errors/error.html", status=status, title=title, hint=hint), status


def register_error_handlers(app) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        message = None
        # CSRF failures and explicit aborts carry a description worth showing.
        if exc.code == 400 and getattr(exc, "description", None) and "CSRF" in str(exc.description):
            message = _("页面已过期（安全令牌失效），请刷新页面后重新提交。")
        return error_response(exc.code or 500, message=message)

    @app.errorhandler(DomainError)
    def handle_domain(exc: DomainError):
        return error_response(409 if exc.code != "not_allowed" else 403, exc.code, exc.message)

    from sqlalchemy.exc import DataError

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def handle_out_of_range(exc: Exception):
        # A number in the address too large for the database (?page=99999999999999999999): SQLite's
        # driver raises OverflowError, PostgreSQL a DataError. The request is wrong, not the server;
        # nothing was written: the transaction is rolled back.
        from app.extensions import db
        db.session.rollback()
        return error_response(400, message=_("请求中的数字超出允许范围，请检查后重试。"))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return error_response(500)
