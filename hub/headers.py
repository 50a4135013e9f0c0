"""Security headers on every answer: a Content-Security-Policy without inline scripts, no
framing, no sniffing, a same-origin referrer and, behind HTTPS, HSTS."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response


def content_security_policy(public_base_url: str) -> str:
    """The pages' policy: scripts and styles from the hub only (inline style attributes are
    allowed, inline scripts and handlers are not), sockets to the hub, framed by nobody."""
    parts = urlsplit(public_base_url)
    socket_origin = ("wss://" if parts.scheme == "https" else "ws://") + parts.netloc
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        f"connect-src 'self' {socket_origin}",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def init_security_headers(app: Flask) -> None:
    """Add the headers to every response that has not set its own policy."""
    policy = content_security_policy(app.config["PUBLIC_BASE_URL"])
    hsts = bool(app.config.get("SESSION_COOKIE_SECURE"))

    @app.after_request
    def security_headers(response: Response) -> Response:
        # A view may set a stricter policy of its own (the mailbox's sandboxed email frame).
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Same-origin: reset and invitation links never leave in a Referer; Flask-WTF's HTTPS
        # check still gets one.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
