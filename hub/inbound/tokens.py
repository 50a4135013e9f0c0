"""Reply-To addresses of shipment emails: `reply+TOKEN@INBOUND_EMAIL_DOMAIN`.

TOKEN names the recipient and the shipment and the day it was issued, signed with the app's
secret (an HMAC-SHA256 under a key itsdangerous derives from SECRET_KEY, cut to 80 bits). It
is lower-case base36/base32 and short, because an address's local part holds at most 64
characters and some mail systems change its case.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from email.utils import getaddresses

from flask import current_app
from itsdangerous import Signer

from hub.timestamps import utcnow

_SALT = "hub.inbound.reply-to"
_SIGNATURE_BYTES = 10  # 80 bits: 16 base32 characters
_EPOCH = date(2020, 1, 1)
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
LOCAL_PREFIX = "reply+"


class TokenRefused(Exception):
    """A reply token that cannot be used; `reason` is the rejection's code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReplyToken:
    """What a valid token names."""

    user_id: int
    shipment_id: int
    issued_on: date


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS[rest] + digits
        if number == 0:
            return digits


def _signature(payload: str) -> str:
    key = Signer(current_app.config["SECRET_KEY"], salt=_SALT, digest_method=hashlib.sha256).derive_key()
    mac = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return base64.b32encode(mac).decode("ascii").lower()


def make_reply_token(user_id: int, shipment_id: int, issued_on: date | None = None) -> str:
    """A signed token naming `user_id` and `shipment_id`, issued today (or `issued_on`)."""
    day = ((issued_on or utcnow().date()) - _EPOCH).days
    payload = f"{_base36(user_id)}.{_base36(shipment_id)}.{_base36(max(day, 0))}"
    return f"{payload}.{_signature(payload)}"


def read_reply_token(token: str) -> ReplyToken:
    """What a token names, or TokenRefused: `unknown_token` (not one of ours), `forged_token`
    (the signature does not match), `expired_token` (older than INBOUND_TOKEN_MAX_AGE_DAYS)."""
    parts = token.strip().lower().split(".")
    if len(parts) != 4 or not all(parts) or any(c not in _DIGITS for c in "".join(parts[:3])):
        raise TokenRefused("unknown_token")
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(_signature(payload), parts[3]):
        raise TokenRefused("forged_token")
    user_id, shipment_id, day = (int(part, 36) for part in parts[:3])
    issued_on = _EPOCH + timedelta(days=day)
    max_age = current_app.config["INBOUND_TOKEN_MAX_AGE_DAYS"]
    if max_age and (utcnow().date() - issued_on).days > max_age:
        raise TokenRefused("expired_token")
    return ReplyToken(user_id, shipment_id, issued_on)


def reply_address(user_id: int, shipment_id: int) -> str | None:
    """The Reply-To address of an email to `user_id` about `shipment_id`; None without
    INBOUND_EMAIL_DOMAIN (emails are then one-way)."""
    domain = current_app.config.get("INBOUND_EMAIL_DOMAIN")
    if not domain:
        return None
    return f"{LOCAL_PREFIX}{make_reply_token(user_id, shipment_id)}@{domain}"


def tokens_in(address_fields: Iterable[str]) -> list[str]:
    """The tokens of every `reply+TOKEN@INBOUND_EMAIL_DOMAIN` address in these header values
    (To, Cc, the envelope's recipients), in order, without repeats."""
    domain = (current_app.config.get("INBOUND_EMAIL_DOMAIN") or "").lower()
    found: list[str] = []
    for _name, address in getaddresses([value for value in address_fields if value]):
        local, _, host = address.rpartition("@")
        if domain and host.lower() == domain and local.lower().startswith(LOCAL_PREFIX):
            token = local[len(LOCAL_PREFIX):].lower()
            if token and token not in found:
                found.append(token)
    return found
