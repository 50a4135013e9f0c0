"""Security headers on every answer, and templates without inline scripts (the policy forbids them)."""

from __future__ import annotations

import re
from pathlib import Path

from tests import factories
from tests.conftest import make_app

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_pages_api_and_errors_carry_the_security_headers(client, world):
    factories.session_for(client, world.staff)
    for path in ("/shipments", f"/shipments/{world.shipment.id}", "/api/v1/me", "/login", "/nowhere"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]+)", policy).group(1)
        assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src, policy
        assert "frame-ancestors 'none'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers  # plain HTTP in this configuration


def test_hsts_when_the_session_cookie_is_secure(database_url, tmp_path):
    app = make_app(database_url, tmp_path, SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_template_holds_an_inline_script_or_event_handler():
    for template in TEMPLATES.rglob("*.html"):
        source = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", source):
            assert "src=" in tag or 'type="application/json"' in tag, f"inline script in {template}: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", source), f"inline event handler in {template}"
        assert "javascript:" not in source, template
