"""Reading and checking JSON request bodies: malformed (400) versus invalid (422)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from flask import request

from hub.errors import N_, MalformedRequest, Text, ValidationFailed, one_of_reason, reason

Parser = Callable[[Any], Any]

#: The largest id, sequence number or page the hub accepts: ids and seqs are 32-bit integer
#: columns on PostgreSQL, and a larger number given to the database is an error, not a miss.
MAX_ID = 2**31 - 1


def json_object(allow_empty: bool = False) -> dict[str, Any]:
    """The request body as a JSON object, or 400 `malformed_request`."""
    if not request.data and allow_empty:
        return {}
    if not request.is_json:
        raise MalformedRequest("The body must be JSON (Content-Type: application/json).")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # JSON nested thousands deep
        raise MalformedRequest("The body is nested too deeply.") from None
    if body is None:
        raise MalformedRequest("The body is not valid JSON.")
    if not isinstance(body, dict):
        raise MalformedRequest("The body must be a JSON object.")
    return body


def check_fields(
    body: Mapping[str, Any],
    parsers: Mapping[str, Parser],
    required: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Parse every field of `body` with its parser; unknown or missing fields are 422.

    A parser raises ValueError (or TypeError) with the reason; the reason is reported
    under the field's name. Only fields present in `body` are returned.
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in body:
        if name not in parsers:
            errors[name] = N_("unknown field")
    for name in required:
        if name not in body or body[name] is None:
            errors[name] = N_("is required")
    for name, parser in parsers.items():
        if name in body and name not in errors:
            try:
                values[name] = parser(body[name])
            except (ValueError, TypeError) as exc:
                errors[name] = reason(exc) or N_("is invalid")
    if errors:
        raise ValidationFailed(N_("Some fields are invalid."), fields=errors)
    return values


def optional(parser: Parser) -> Parser:
    """Accept `null` as well as what `parser` accepts."""

    def parse(value: Any) -> Any:
        return None if value is None else parser(value)

    return parse


#: Line breaks a multi-line text may hold; every other control character is refused.
_MULTILINE_ALLOWED = frozenset("\n\r\t")
#: Categories never accepted: control characters, lone surrogates (not encodable), line and
#: paragraph separators (a line break to many mail clients).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def clean_text(value: str, multiline: bool = False) -> str:
    """`value` unchanged, or ValueError when it holds a character that could split a header or
    a line (CR, LF, NUL and other control characters) or cannot be stored (a lone surrogate).
    A multi-line text may hold line breaks and tabs."""
    for ch in value:
        if multiline and ch in _MULTILINE_ALLOWED:
            continue
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            if multiline:
                raise ValueError(N_("must not contain control characters"))
            raise ValueError(N_("must be a single line without control characters"))
    return value


def text(max_length: int, min_length: int = 0, multiline: bool = False) -> Parser:
    """A string, stripped, of bounded length; a single line without control characters unless
    `multiline` (then line breaks and tabs are allowed, other control characters are not)."""

    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(N_("must be a string"))
        value = clean_text(value.strip(), multiline)
        if len(value) < min_length:
            raise ValueError(N_("must not be empty") if min_length == 1
                             else Text(N_("must be at least %(minimum)s characters"), minimum=min_length))
        if len(value) > max_length:
            raise ValueError(Text(N_("must be at most %(maximum)s characters"), maximum=max_length))
        return value

    return parse


def one_of(choices: tuple[str, ...] | list[str] | frozenset[str]) -> Parser:
    """One of a fixed set of strings."""

    def parse(value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise ValueError(one_of_reason(sorted(choices)))
        return value

    return parse


def integer_id(value: Any) -> int:
    """A positive integer id (booleans are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(N_("must be a positive integer id"))
    if value > MAX_ID:
        raise ValueError(Text(N_("must be at most %(maximum)s"), maximum=MAX_ID))
    return value
