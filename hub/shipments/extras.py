"""Per-shipment additions from other areas (warnings, checklist summary, ...).

Areas register a provider; the shipment API and page merge what each returns, so the
shipments module need not import every area.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.accounts.models import User
from hub.shipments.models import Shipment

ExtraProvider = Callable[[User, Shipment], dict[str, Any]]
_providers: list[ExtraProvider] = []


def register_extra(provider: ExtraProvider) -> None:
    """Add a provider of extra shipment fields (e.g. `warnings`)."""
    if provider not in _providers:
        _providers.append(provider)


def shipment_extras(user: User, shipment: Shipment) -> dict[str, Any]:
    """The merged extra fields for this viewer."""
    extra: dict[str, Any] = {"warnings": []}
    for provider in _providers:
        for key, value in provider(user, shipment).items():
            # Several areas may raise warnings: lists add up, other fields are set once.
            if isinstance(value, list) and isinstance(extra.get(key), list):
                extra[key] = extra[key] + value
            else:
                extra[key] = value
    return extra
