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


def N_(message: str) -> str:
    """Mark a string for the message catalogue (pybabel extracts `N_`); it is translated where
    it is shown (pages), and stays English where it is an API's answer."""
    return message


class Text(str):
    """An English sentence made of a catalogue template and its values: it reads (and goes into
    JSON) as the English text, `Text(N_("must be at most %(n)s characters"), n=64)` is "must be
    at most 64 characters"; `translate` says it in the page's language."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Text:
        if isinstance(template, Text) and not params:
            return template  # already a message with its template and values
        text = super().__new__(cls, template % params if params else template)
        text.template = template
        text.params = params
        return text

    def __reduce__(self) -> Any:
        return (_text, (self.template, self.params))


def _text(template: str, params: dict[str, Any]) -> Text:
    return Text(template, **params)


def translate(text: Any) -> str:
    """A message (a marked literal or a `Text`) in the current locale; "" for nothing. A message
    the catalogue does not hold stays as it is."""
    if not text:
        return ""
    if isinstance(text, Text):
        values = {name: translate(value) if isinstance(value, Text) else value for name, value in text.params.items()}
        return gettext(text.template, **values) if values else gettext(text.template)
    return gettext(str(text))


def one_of_reason(choices: Any) -> Text:
    """"must be one of: a, b, c" (the choices are codes: they stay as they are)."""
    return Text(N_("must be one of: %(choices)s"), choices=", ".join(choices))


def reason(exc: BaseException) -> str:
    """The reason a parser's ValueError gives, keeping a `Text` a `Text` (str() would not)."""
    first = exc.args[0] if exc.args else ""
    return first if isinstance(first, str) else str(exc)


class HubError(Exception):
    """An expected failure with an HTTP status and a stable error code. `message` (and each of
    `fields`) is English, as the API answers it; with `params` the message is a template
    (`N_("Unknown milestone codes: %(codes)s")`) filled in: pages say it translated."""

    status = 400
    code = ERROR_CODES[status]

    def __init__(self, message: str, fields: dict[str, str] | None = None,
                 params: dict[str, Any] | None = None) -> None:
        if params:
            message = Text(message, **params)
        super().__init__(message)
        self.message = message
        self.fields = fields

    def localized(self, separator: str = ": ") -> str:
        """The message and each field's reason in the page's language, as a flash says them."""
        detail = "; ".join(f"{name}{separator}{translate(why)}" for name, why in (self.fields or {}).items())
        return f"{translate(self.message)} {detail}".strip()

    def to_dict(self, localized: bool = False) -> dict[str, Any]:
        """The error object, as in `{"error": {...}}` and socket acknowledgements; `localized`:
        the message and reasons in the current locale (a browser's own socket, whose page shows
        them), else in English."""
        if localized:
            message, fields = localized_texts(self.message, self.fields)
        else:
            message, fields = self.message, self.fields
        error: dict[str, Any] = {"code": self.code, "message": message}
        if fields:
            error["fields"] = fields
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


def localized_texts(message: str, fields: dict[str, str] | None) -> tuple[str, dict[str, str] | None]:
    """An error's message and field reasons in the current locale."""
    return translate(message), {name: translate(why) for name, why in fields.items()} if fields else fields


def _browser_call() -> bool:
    """Whether the request is a signed-in browser's own call (its page's script shows the error
    to the user), not an integration's (an API token) or an anonymous one. Only a user the
    request already loaded counts: an error answer never reads the database (it may be the
    error: an outage answers 503 in English)."""
    from flask import g

    if request.headers.get("Authorization") or g.get("api_token") is not None:
        return False
    user = g.get("_login_user")  # Flask-Login's user of this request, once loaded
    return bool(getattr(user, "is_authenticated", False))


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    """Build a JSON error answer: in the user's language for a signed-in browser's own calls,
    in English for integrations (the `code` is what software reads)."""
    if _browser_call():
        message, fields = localized_texts(message, fields)
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
            flash(translate(error.message), "error")
            return redirect(request.referrer or "/")
        return render_template("error.html", status=error.status, message=translate(error.message)), error.status

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError) -> Any:
        message = gettext("The form expired or its security token is missing; reload the page and try again.")
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
        # Werkzeug's own descriptions ("The requested URL was not found on the server...") are
        # English only: the page's translated heading says it; a description of ours is shown.
        own = error.description if error.description != type(error).description else None
        return render_template("error.html", status=status, message=own), status

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Any:
        from sqlalchemy.exc import OperationalError

        status, code, message = 500, "internal_error", N_("Something went wrong on our side.")
        if isinstance(error, OperationalError):
            status, code, message = 503, "unavailable", N_("The database is unavailable for the moment; try again.")
            # A line per request, no traceback: an outage fails every request the same way.
            app.logger.warning("database unavailable: %s", str(error).splitlines()[0][:200])
        else:
            app.logger.exception("unhandled error")
        if wants_json():
            return error_response(status, code, message)
        return render_template("error.html", status=status, message=translate(message)), status
