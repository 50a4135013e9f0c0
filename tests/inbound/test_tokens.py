"""Reply tokens: signed, short, case-insensitive, naming user and shipment; the settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config import load_config
from hub.inbound.tokens import TokenRefused, make_reply_token, read_reply_token, reply_address, tokens_in
from hub.timestamps import utcnow

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_a_token_names_user_and_shipment_and_survives_mail_systems(app):
    app.config["INBOUND_EMAIL_DOMAIN"] = "Reply.Example.com"
    address = reply_address(123_456, 7_890_123)
    local, _, domain = address.partition("@")
    assert domain == "Reply.Example.com" and len(local) <= 64  # RFC 5321's limit of a local part
    token = read_reply_token(local.removeprefix("reply+").upper())  # some systems change the case
    assert (token.user_id, token.shipment_id, token.issued_on) == (123_456, 7_890_123, utcnow().date())
    assert tokens_in([f'"Hub" <{address.upper()}>, ana@acme.example', "", "reply+other@elsewhere.example"]) == [
        local.removeprefix("reply+")]
    app.config["INBOUND_EMAIL_DOMAIN"] = None
    assert reply_address(1, 2) is None


@SQLITE_ONLY
def test_another_secret_or_a_changed_name_is_refused(app):
    token = make_reply_token(5, 9)
    app.config["SECRET_KEY"] = "another-secret-key-entirely"
    with pytest.raises(TokenRefused) as refused:
        read_reply_token(token)
    assert refused.value.reason == "forged_token"
    for bad in ("", "abc", "a.b.c", "5.9.x.y.z", "5.9.!.abc"):
        with pytest.raises(TokenRefused) as refused:
            read_reply_token(bad)
        assert refused.value.reason == "unknown_token"


@SQLITE_ONLY
def test_tokens_expire_after_the_configured_days(app):
    app.config["INBOUND_TOKEN_MAX_AGE_DAYS"] = 30
    today = utcnow().date()
    assert read_reply_token(make_reply_token(1, 2, issued_on=today - timedelta(days=30))).user_id == 1
    with pytest.raises(TokenRefused) as refused:
        read_reply_token(make_reply_token(1, 2, issued_on=today - timedelta(days=31)))
    assert refused.value.reason == "expired_token"
    app.config["INBOUND_TOKEN_MAX_AGE_DAYS"] = 0  # never
    assert read_reply_token(make_reply_token(1, 2, issued_on=today - timedelta(days=3000))).shipment_id == 2


def test_spf_or_dkim_is_required_by_default_in_production_only(monkeypatch):
    monkeypatch.delenv("INBOUND_REQUIRE_AUTH", raising=False)
    assert load_config("production").INBOUND_REQUIRE_AUTH is True
    assert load_config("development").INBOUND_REQUIRE_AUTH is False
    monkeypatch.setenv("INBOUND_REQUIRE_AUTH", "0")
    assert load_config("production").INBOUND_REQUIRE_AUTH is False
    monkeypatch.setenv("INBOUND_RATE_LIMIT", "5 per minute")
    monkeypatch.setenv("INBOUND_TOKEN_MAX_AGE_DAYS", "90")
    config = load_config("test")
    assert (config.INBOUND_RATE_LIMIT, config.INBOUND_TOKEN_MAX_AGE_DAYS) == ("5 per minute", 90)
