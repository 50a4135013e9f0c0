"""The demo data set: a shipper, partners in China, Mexico and Germany, a dozen shipments."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from hub.accounts.models import Organization, User
from hub.extensions import db
from hub.shipment_tx import shipment_transaction
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.threads.services import add_message
from hub.timestamps import utcnow

DEMO_PASSWORD = "clearance-demo-2026"

_ORGS = [
    ("Northwind Imports", "shipper", "US", "America/Chicago"),
    ("Shenzhen Harbour Customs Agency", "customs_agent", "CN", "Asia/Shanghai"),
    ("Aduanas del Pacífico", "customs_agent", "MX", "America/Mexico_City"),
    ("Hanse Zollberatung GmbH", "broker", "DE", "Europe/Berlin"),
    ("BlueWave Forwarding", "forwarder", "NL", "Europe/Amsterdam"),
]
_USERS = [
    ("admin@northwind.example", "Alex Admin", 0, "admin", "en"),
    ("ana@northwind.example", "Ana Coordinator", 0, "coordinator", "en"),
    ("kenji@northwind.example", "Kenji Coordinator", 0, "coordinator", "en"),
    ("li.wei@szharbour.example", "Li Wei", 1, "partner", "zh_Hans"),
    ("maria@aduanaspacifico.example", "María González", 2, "partner", "es"),
    ("jonas@hanse-zoll.example", "Jonas Becker", 3, "partner", "en"),
    ("sofia@bluewave.example", "Sofia de Vries", 4, "partner", "en"),
]
# reference, origin, destination, port, mode, incoterm, goods, hs, value, currency, status reached by the
# recorded timeline (see _TIMELINES), partners
_SHIPMENTS = [
    ("NW-2026-001", "CN", "US", "Los Angeles", "sea", "FOB", "Centrifugal pumps", ["8413.70"], "125000.00", "USD", "arrived", [(3, "agent"), (6, "forwarder")]),
    ("NW-2026-002", "US", "MX", "Manzanillo", "sea", "CIF", "Agricultural seeds", ["1209.91"], "48000.00", "USD", "on_hold", [(4, "agent")]),
    ("NW-2026-003", "US", "DE", "Frankfurt (FRA)", "air", "DAP", "Medical sensors", ["9018.19"], "230500.00", "EUR", "declaration_filed", [(5, "broker")]),
    ("NW-2026-004", "CN", "DE", "Hamburg", "sea", "FOB", "LED panels", ["9405.42"], "87000.00", "EUR", "departed", [(3, "agent"), (5, "broker"), (6, "forwarder")]),
    ("NW-2026-005", "US", "MX", "Nuevo Laredo", "road", "DAP", "Auto parts", ["8708.29"], "64000.00", "USD", "released", [(4, "agent")]),
    ("NW-2026-006", "DE", "US", "Chicago (ORD)", "air", "FCA", "Precision bearings", ["8482.10"], "19500.00", "USD", "delivered", [(5, "broker")]),
    ("NW-2026-007", "CN", "US", "Long Beach", "sea", "FOB", "Cotton T-shirts", ["6109.10"], "33000.00", "USD", "under_inspection", [(3, "agent"), (6, "forwarder")]),
    ("NW-2026-008", "US", "CN", "Shanghai Pudong", "courier", "DDP", "Spare circuit boards", ["8538.90"], "4200.00", "USD", "booked", [(3, "agent")]),
    ("NW-2026-009", "DE", "CN", "Chongqing", "rail", "FCA", "Machine tools", ["8458.11"], "310000.00", "EUR", "duties_assessed", [(3, "agent"), (5, "broker")]),
    ("NW-2026-010", "MX", "US", "Laredo", "road", "FCA", "Fresh avocados", ["0804.40"], "27000.00", "USD", "duties_paid", [(4, "agent")]),
    ("NW-2026-011", "CN", "MX", "Lázaro Cárdenas", "sea", "CIF", "Solar inverters", ["8504.40"], "156000.00", "USD", "documents_requested", [(3, "agent"), (4, "agent")]),
    ("NW-2026-012", "US", "DE", "Bremerhaven", "sea", "CIP", "Maple syrup", ["1702.20"], "12000.00", "EUR", "new", [(5, "broker"), (6, "observer")]),
]
# The usual course of a clearance; a demo shipment has gone as far as its status along it.
_REGULAR_PATH = (
    "booked", "documents_requested", "documents_complete", "declaration_filed", "departed", "arrived",
    "duties_assessed", "duties_paid", "released", "delivered",
)
# Exceptions: where the shipment stands in the path, then what happened there. `duties_assessed`
# shows an inspection that a later regular milestone superseded.
_TIMELINES: dict[str, tuple[str, ...]] = {
    "new": (),
    "under_inspection": _REGULAR_PATH[:6] + ("under_inspection",),
    "on_hold": _REGULAR_PATH[:6] + ("under_inspection", "on_hold"),
    "duties_assessed": _REGULAR_PATH[:6] + ("under_inspection", "duties_assessed"),
} | {
    code: _REGULAR_PATH[: _REGULAR_PATH.index(code) + 1]
    for code in _REGULAR_PATH if code != "duties_assessed"
}
_NOTES = {
    "documents_requested": "Commercial invoice and packing list, please.",
    "declaration_filed": "Pre-arrival declaration lodged.",
    "under_inspection": "Selected for physical examination.",
    "on_hold": "Held pending the phytosanitary certificate.",
    "duties_assessed": "Duties and VAT computed on the declared value.",
}
# Who reports each milestone, by their role on the shipment (the first one present).
_REPORTERS = {
    "booked": ("forwarder",), "departed": ("forwarder",), "arrived": ("forwarder", "agent"),
    "delivered": ("forwarder",), "documents_requested": ("broker", "agent"), "documents_complete": (),
}
_CUSTOMS_REPORTERS = ("agent", "broker")
_TRANSIT_DAYS = {"sea": 18, "air": 2, "road": 3, "rail": 14, "courier": 2}
# Usual time from the milestone before (a day unless said here).
_GAPS = {
    "documents_complete": timedelta(days=2), "under_inspection": timedelta(hours=6),
    "released": timedelta(hours=6), "duties_paid": timedelta(hours=20),
}

_CHAT = [
    (None, "Shipment opened; partners added."),
    (1, "Hi all, I have shared the commercial invoice. @{partner} can you confirm the HS code?"),
    ("partner", "Confirmed, **{hs}** is right for this cargo. I will file the declaration once the packing list arrives."),
    (1, "Thanks! Packing list coming today."),
]


def seed(if_empty: bool = False) -> bool:
    """Create the demo data and commit; with `if_empty`, only when there are no users yet."""
    if if_empty and (db.session.scalar(select(func.count()).select_from(User)) or 0) > 0:
        return False
    orgs = [Organization(name=n, kind=k, country=c, time_zone=tz) for n, k, c, tz in _ORGS]
    db.session.add_all(orgs)
    users = []
    for email, name, org_index, role, locale in _USERS:
        user = User(email=email, name=name, organization=orgs[org_index], role=role, locale=locale,
                    time_zone=orgs[org_index].time_zone)
        user.set_password(DEMO_PASSWORD)
        users.append(user)
    db.session.add_all(users)
    db.session.flush()
    now = utcnow().replace(second=0, microsecond=0)
    for index, (ref, origin, dest, port, mode, inco, goods, hs, value, cur, status, partners) in enumerate(_SHIPMENTS):
        coordinator = users[1 + index % 2]
        when = _timeline_times(_TIMELINES[status], mode, now - timedelta(hours=3, minutes=7 * index))
        # ETD and ETA agree with the timeline: the actual times once departed or arrived.
        etd = when.get("departed", now + timedelta(days=2 + index % 3))
        eta = when.get("arrived", etd + timedelta(days=_TRANSIT_DAYS[mode]))
        shipment = Shipment(
            reference=ref, owner_org_id=orgs[0].id, origin_country=origin, destination_country=dest,
            port_of_entry=port, transport_mode=mode, incoterm=inco, goods_description=goods, hs_codes=hs,
            declared_value=Decimal(value), currency=cur, created_by_id=coordinator.id,
            etd=etd, eta=eta,
        )
        shipment.participants.append(ShipmentParticipant(user=coordinator, role="coordinator", added_by_id=coordinator.id))
        for user_index, role in partners:
            shipment.participants.append(ShipmentParticipant(user=users[user_index], role=role, added_by_id=coordinator.id))
        db.session.add(shipment)
        db.session.flush()
        partner = users[partners[0][0]]
        db.session.commit()
        with shipment_transaction(shipment.id) as locked:
            for who, text in _CHAT:
                author = None if who is None else partner if who == "partner" else coordinator
                body = text.format(partner=partner.email.split("@")[0], hs=hs[0])
                add_message(locked, author, body, kind="system" if author is None else "text",
                            client_id=None if author is None else str(uuid.uuid4()))
        _record_timeline(shipment, when, coordinator, [(users[i], role) for i, role in partners], index)
    db.session.commit()
    return True


def _timeline_times(codes: tuple[str, ...], mode: str, last: datetime) -> dict[str, datetime]:
    """When each milestone of `codes` happened: usual gaps between them (the voyage takes the
    mode's transit time), shifted so that the last one happened at `last`."""
    offsets: dict[str, timedelta] = {}
    elapsed = timedelta()
    for position, code in enumerate(codes):
        if position:
            elapsed += timedelta(days=_TRANSIT_DAYS[mode]) if code == "arrived" else _GAPS.get(code, timedelta(days=1))
        offsets[code] = elapsed
    return {code: last - elapsed + offset for code, offset in offsets.items()}


def _record_timeline(
    shipment: Shipment, when: dict[str, datetime], coordinator: User, partners: list[tuple[User, str]], index: int
) -> None:
    """Record the milestones at the times `when` gives, through the milestone service, so the
    shipment's status comes from the rules. On every other shipment the departure is reported
    late, after the arrival (the status does not depend on the order of reports)."""
    from hub.milestones.services import record_milestone
    from hub.reference_data import country_name

    order = list(when)
    if index % 2 == 0 and "departed" in order and "arrived" in order:
        order.remove("departed")
        order.insert(order.index("arrived") + 1, "departed")
    for code in order:
        values: dict[str, str] = {"code": code, "occurred_at": when[code].isoformat()}
        # Transport milestones happen at origin, customs ones at the port of entry; paperwork nowhere.
        if code in ("booked", "departed"):
            location = country_name(shipment.origin_country)
        elif code in ("documents_requested", "documents_complete"):
            location = None
        else:
            location = shipment.port_of_entry
        if location:
            values["location"] = location
        if code in _NOTES:
            values["note"] = _NOTES[code]
        record_milestone(_reporter(code, coordinator, partners), shipment.id, values, via="web")


def _reporter(code: str, coordinator: User, partners: list[tuple[User, str]]) -> User:
    """The partner who would usually report `code` on this shipment, else its coordinator."""
    for role in _REPORTERS.get(code, _CUSTOMS_REPORTERS):
        for user, partner_role in partners:
            if partner_role == role:
                return user
    return coordinator


def demo_logins() -> list[tuple[str, str]]:
    """(email, who) of each demo user."""
    return [(email, f"{name} ({role})") for email, name, _org, role, _locale in _USERS]
