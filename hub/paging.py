"""Collections of the API: the `{"items": [...]}` answer, and `?page=` and `?per_page=` for
collections that grow without bound."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from flask import Response, jsonify, request

from hub.errors import N_, Text, ValidationFailed
from hub.payload import MAX_ID

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200


class ApiObject(Protocol):
    """A row that has an API object."""

    def to_dict(self) -> Mapping[str, object]: ...


def items_response(rows: Iterable[ApiObject]) -> Response:
    """`{"items": [...]}`: each row's API object, in order."""
    return jsonify({"items": [row.to_dict() for row in rows]})


def page_args() -> tuple[int, int]:
    """(page, per_page) from the query string: page from 1, per_page clamped to 1..200."""
    errors = {}
    values = {}
    for name, default in (("page", 1), ("per_page", DEFAULT_PER_PAGE)):
        raw = request.args.get(name)
        if raw is None or raw == "":
            values[name] = default
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            errors[name] = N_("must be an integer")
            continue
        if values[name] < 1:
            errors[name] = N_("must be at least 1")
        elif name == "page" and values[name] > MAX_ID:
            errors[name] = Text(N_("must be at most %(maximum)s"), maximum=MAX_ID)
    if errors:
        raise ValidationFailed(N_("Bad paging parameters."), fields=errors)
    return values["page"], min(values["per_page"], MAX_PER_PAGE)
