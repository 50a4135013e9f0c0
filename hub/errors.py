"""The hub's error type and the JSON error answers of the API (see api-conventions)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, flash, jsonify, redirect, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

#: The stable `code` of each HTTP status the API answers with (api-conventions); a 405 from
#: Flask's routing is a malformed request too.
ERROR_CODES: dict[int, str] = {
    400: "malformed_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "malformed_request",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


class HubError(Exception):
    """An expected failure with an HTTP status and a stable error code."""

    status = 400
    code = ERROR_CODES[status]

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def to_dict(self) -> dict[str, Any]:
        """The error object, as in `{"error": {...}}` and socket acknowledgements."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return error


def _error_type(name: str, status: int) -> type[HubError]:
    """The HubError subclass `name`, answering `status` with its code from ERROR_CODES."""
    return type(name, (HubError,), {"status": status, "code": ERROR_CODES[status], "__module__": __name__})


MalformedRequest = _error_type("MalformedRequest", 400)
Unauthorized = _error_type("Unauthorized", 401)
Forbidden = _error_type("Forbidden", 403)
NotFound = _error_type("NotFound", 404)
Conflict = _error_type("Conflict", 409)
PayloadTooLarge = _error_type("PayloadTooLarge", 413)
UnsupportedMediaType = _error_type("UnsupportedMediaType", 415)
ValidationFailed = _error_type("ValidationFailed", 422)
Unavailable = _error_type("Unavailable", 503)


class RateLimited(HubError):
    """Too many requests; `retry_after`: seconds until the next one may pass."""

    status = 429
    code = ERROR_CODES[status]

    def __init__(self, message: str, fields: dict[str, str] | None = None, retry_after: int = 1) -> None:
        super().__init__(message, fields)
        self.retry_after = retry_after


def wants_json() -> bool:
    """API, webhook and JSON requests get JSON errors; pages get HTML."""
    return (
        request.path.startswith(("/api/", "/webhooks/"))
        or request.is_json
        or request.accept_mimetypes.best == "application/json"
    )


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    """Build a JSON error answer."""
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    """JSON errors for the API, friendly pages for the browser."""

    @app.errorhandler(HubError)
    def handle_hub_error(error: HubError) -> Any:
        if isinstance(error, RateLimited):
            response = error_response(error.status, error.code, error.message)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        if wants_json():
            return error_response(error.status, error.code, error.message, error.fields)
        if error.status in (400, 403, 409, 413, 415, 422):
            flash(gettext(error.message), "error")
            return redirect(request.referrer or "/")
        return render_template("error.html", status=error.status, message=error.message), error.status

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError) -> Any:
        message = "The form expired or its security token is missing; reload the page and try again."
        if wants_json():
            return error_response(400, "malformed_request", "CSRF token missing or invalid.")
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException) -> Any:
        status = error.code or 500
        if wants_json():
            code = ERROR_CODES.get(status, "malformed_request" if status < 500 else "unavailable")
            message = error.description or error.name
            if status == 413:
                message = f"The request body is larger than the limit ({app.config['MAX_UPLOAD_MB']} MB for uploads)."
            response = error_response(status, code, message)
            if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
                response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
            return response
        return render_template("error.html", status=status, message=error.description), status

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Any:
        from sqlalchemy.exc import OperationalError

        status, code, message = 500, "internal_error", "Something went wrong on our side."
        if isinstance(error, OperationalError):
            status, code, message = 503, "unavailable", "The database is unavailable for the moment; try again."
            # A line per request, no traceback: an outage fails every request the same way.
            app.logger.warning("database unavailable: %s", str(error).splitlines()[0][:200])
        else:
            app.logger.exception("unhandled error")
        if wants_json():
            return error_response(status, code, message)
        return render_template("error.html", status=status, message=message), status
