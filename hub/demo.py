"""The demo data set: a shipper, partners in China, Mexico and Germany, a dozen shipments."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from hub.accounts.models import Organization, User
from hub.extensions import db
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.threads.services import add_message, shipment_transaction
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
# reference, origin, destination, port, mode, incoterm, goods, hs, value, currency, status, partners
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
    now = utcnow()
    for index, (ref, origin, dest, port, mode, inco, goods, hs, value, cur, status, partners) in enumerate(_SHIPMENTS):
        coordinator = users[1 + index % 2]
        shipment = Shipment(
            reference=ref, owner_org_id=orgs[0].id, origin_country=origin, destination_country=dest,
            port_of_entry=port, transport_mode=mode, incoterm=inco, goods_description=goods, hs_codes=hs,
            declared_value=Decimal(value), currency=cur, status=status, created_by_id=coordinator.id,
            etd=now - timedelta(days=20 - index), eta=now + timedelta(days=index - 4),
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
    db.session.commit()
    return True


def demo_logins() -> list[tuple[str, str]]:
    """(email, who) of each demo user."""
    return [(email, f"{name} ({role})") for email, name, _org, role, _locale in _USERS]
