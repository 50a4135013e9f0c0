"""Per-shipment additions from other areas (warnings, checklist summary, ...).

Areas register a provider; the shipment API and page merge what each returns, so the
shipments module need not import every area.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select

from hub.accounts.models import User
from hub.errors import N_, ValidationFailed, one_of_reason
from hub.shipments.models import Shipment

ExtraProvider = Callable[[User, Shipment], dict[str, Any]]
ListExtraProvider = Callable[[User, Sequence[Shipment]], dict[int, dict[str, Any]]]
ListFilter = Callable[[User, Select[Any]], Select[Any]]
#: An ordering of the list put before its default (newest first): (viewer) -> ORDER BY terms.
ListOrder = Callable[[User], Sequence[Any]]
_providers: list[ExtraProvider] = []
_list_providers: list[ListExtraProvider] = []
_list_filters: dict[str, tuple[str, ListFilter]] = {}
_list_orders: list[ListOrder] = []


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


def register_list_extra(provider: ListExtraProvider) -> None:
    """Add a provider of extra fields for the items of a shipment list (one call per page)."""
    if provider not in _list_providers:
        _list_providers.append(provider)


def list_extras(user: User, shipments: Sequence[Shipment]) -> dict[int, dict[str, Any]]:
    """{shipment id: extra fields} for a page of the list."""
    merged: dict[int, dict[str, Any]] = {s.id: {} for s in shipments}
    for provider in _list_providers:
        for shipment_id, fields in provider(user, shipments).items():
            merged.setdefault(shipment_id, {}).update(fields)
    return merged


def register_list_filter(name: str, label: str, condition: ListFilter) -> None:
    """Offer `name` as a filter of the shipment list (`?shows=name`)."""
    _list_filters[name] = (label, condition)


def list_filter_labels() -> dict[str, str]:
    """{name: label} of the registered filters, for the list's select."""
    return {name: label for name, (label, _condition) in _list_filters.items()}


def apply_list_filter(name: str, user: User, query: Select[Any]) -> Select[Any]:
    """`query` narrowed by the filter `name` (422 for an unknown one)."""
    if name not in _list_filters:
        raise ValidationFailed(
            N_("Unknown filter."), fields={"shows": one_of_reason(sorted(_list_filters))}
        )
    return _list_filters[name][1](user, query)


def register_list_order(order: ListOrder) -> None:
    """Sort the list by `order`'s terms first (e.g. the most urgent shipments first)."""
    if order not in _list_orders:
        _list_orders.append(order)


def list_order_terms(user: User) -> list[Any]:
    """The registered ORDER BY terms for this viewer, in registration order."""
    return [term for order in _list_orders for term in order(user)]
