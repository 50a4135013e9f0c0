"""The hub's error type and the JSON error answers of the API (see api-conventions)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, flash, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class HubError(Exception):
    """An expected failure with an HTTP status and a stable error code."""

    status = 400
    code = "malformed_request"

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


class MalformedRequest(HubError):
    status, code = 400, "malformed_request"


class Unauthorized(HubError):
    status, code = 401, "unauthorized"


class Forbidden(HubError):
    status, code = 403, "forbidden"


class NotFound(HubError):
    status, code = 404, "not_found"


class Conflict(HubError):
    status, code = 409, "conflict"


class PayloadTooLarge(HubError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(HubError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(HubError):
    status, code = 422, "validation_error"


class RateLimited(HubError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, fields: dict[str, str] | None = None, retry_after: int = 1) -> None:
        super().__init__(message, fields)
        self.retry_after = retry_after


class Unavailable(HubError):
    status, code = 503, "unavailable"


_HTTP_CODES = {
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
            flash(error.message, "error")
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
            code = _HTTP_CODES.get(status, "malformed_request" if status < 500 else "unavailable")
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

        app.logger.exception("unhandled error")
        status, code, message = 500, "internal_error", "Something went wrong on our side."
        if isinstance(error, OperationalError):
            status, code, message = 503, "unavailable", "The database is unavailable for the moment; try again."
        if wants_json():
            return error_response(status, code, message)
        return render_template("error.html", status=status, message=message), status
