"""The two log formats: JSON for production, text for development (HUB_LOG_FORMAT); both
carry the unit of work's request id and user id and mask secrets a caller might pass."""

from __future__ import annotations

import json
import logging

import pytest

from config import ConfigError, load_config
from hub.operations.logs import ContextFilter, JsonFormatter, TextFormatter
from hub.request_context import unit_of_work


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("hub.test", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    ContextFilter().filter(record)
    return record


def test_json_lines_carry_the_unit_of_work_and_mask_secrets():
    with unit_of_work("req-0123456789", user_id=7, outbox_id=42):
        record = _record("SendGrid said no to Bearer abc.def.ghi (key SG.secret-key_1)", password="hunter2",
                         api_token="tok", body="the message", status=503)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-0123456789" and line["user_id"] == 7 and line["outbox_id"] == 42
    assert line["level"] == "warning" and line["logger"] == "hub.test" and line["status"] == 503
    assert line["password"] == line["api_token"] == line["body"] == "[redacted]"
    assert "abc.def.ghi" not in line["message"] and "SG.secret" not in line["message"]
    assert line["ts"].endswith("Z")


def test_text_lines_for_development_say_the_same_readably():
    with unit_of_work("req-abcdef0123", user_id=3):
        record = _record("socket event", event="send", outcome="ok")
    text = TextFormatter().format(record)
    assert "[req-abcdef0123 user=3] socket event" in text and "event=send outcome=ok" in text
    assert not text.startswith("{")


def test_outside_any_unit_of_work_the_ids_are_empty():
    line = json.loads(JsonFormatter().format(_record("started")))
    assert line["request_id"] is None and line["user_id"] is None


def test_the_log_format_setting_is_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("HUB_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="HUB_LOG_FORMAT"):
        load_config("test").finalize(tmp_path)
