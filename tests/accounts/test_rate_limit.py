"""Sign-in and token exchange are rate limited per address: 429 with Retry-After, then nothing more is tried."""

from __future__ import annotations

from pathlib import Path

from hub.extensions import db
from tests.conftest import make_app
from tests.factories import page_csrf_token


def limited_client(database_url: str, tmp_path: Path):
    """A second app on the same database with a low limit; the fixture's transaction is ended
    first so that SQLite lets the second app write."""
    db.session.commit()
    app = make_app(database_url, tmp_path / "limited", RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    return app, app.test_client()


def test_token_exchange_answers_429_with_retry_after(world, database_url, tmp_path):
    email = world.staff.email
    _app, client = limited_client(database_url, tmp_path)
    body = {"email": email, "password": "wrong password!"}
    codes = [client.post("/api/v1/auth/token", json=body).status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    limited = client.post("/api/v1/auth/token", json={"email": email, "password": "correct-horse-battery"})
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0


def test_login_form_is_limited_too(world, database_url, tmp_path):
    email = world.staff.email
    _app, client = limited_client(database_url, tmp_path)
    csrf = page_csrf_token(client)
    for _ in range(3):
        wrong = {"email": email, "password": "nope-nope-nope", "csrf_token": csrf}
        assert client.post("/login", data=wrong).status_code == 401
    response = client.post("/login", data={"email": email, "password": "correct-horse-battery", "csrf_token": csrf})
    assert response.status_code == 429
    assert "Retry-After" in response.headers
