"""The demo data set: a shipper, partners in China, Mexico, Germany, the Netherlands and the United States,
fifteen shipments under way and the released shipments of the last five months."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hub.accounts.models import Organization, User
from hub.business_days import BusinessCalendar, weekday_numbers
from hub.countries.clock import refresh_clock, today_at
from hub.countries.profiles import calendar_of, profile_for
from hub.extensions import db
from hub.reference_data import container_check_digit
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
    ("Great Lakes Customs Brokers", "customs_agent", "US", "America/Chicago"),
]
_USERS = [
    ("admin@northwind.example", "Alex Admin", 0, "admin", "en"),
    ("ana@northwind.example", "Ana Coordinator", 0, "coordinator", "en"),
    ("kenji@northwind.example", "Kenji Coordinator", 0, "coordinator", "en"),
    ("li.wei@szharbour.example", "Li Wei", 1, "partner", "zh_Hans"),
    ("maria@aduanaspacifico.example", "María González", 2, "partner", "es"),
    ("jonas@hanse-zoll.example", "Jonas Becker", 3, "partner", "en"),
    ("sofia@bluewave.example", "Sofia de Vries", 4, "partner", "en"),
    ("dwayne@greatlakes-customs.example", "Dwayne Carter", 5, "partner", "en"),
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
    # The clearance clock's three cases a newcomer should see (timed by _CLOCK_SCENARIOS):
    ("NW-2026-013", "CN", "DE", "Hamburg", "sea", "FOB", "Wooden garden furniture", ["9401.69"], "41000.00", "EUR", "on_hold", [(5, "broker"), (6, "forwarder")]),
    ("NW-2026-014", "VN", "US", "Long Beach", "sea", "FOB", "Running shoes", ["6404.11"], "96000.00", "USD", "arrived", [(3, "agent"), (6, "forwarder")]),
    ("NW-2026-015", "JP", "CN", "Shanghai Yangshan", "sea", "CIF", "Industrial robots", ["8479.50"], "420000.00", "USD", "departed", [(3, "agent"), (6, "forwarder")]),
]
# The customs record of each demo shipment: B/L or AWB or CMR, container owner code and serial (the
# check digit is computed), carrier, vessel or flight, PO, entry number, consignee, supplier,
# port of loading, the port's subdivision.
_RECORDS = {
    "NW-2026-001": ("COSU6234871520", "COSU", "COSCO Shipping", "COSCO Taurus 041E", "PO-88341", None, "Northwind Imports, Ontario CA", "Guangdong Pump Works", "Yantian", "CA"),
    "NW-2026-002": ("MAEU245117803", "MSKU", "Maersk", "Maersk Ohio 612S", "PO-88402", "3AL-0417-6001882", "Agroinsumos del Bajío", "Northwind Seeds, Iowa", "Houston", "COL"),
    "NW-2026-003": ("020-78134422", None, "Lufthansa Cargo", "LH 8401", "PO-88417", None, "Medisens GmbH, Frankfurt", "Northwind Sensors, Austin", "Chicago (ORD)", "HE"),
    "NW-2026-004": ("HLCUSZX2611047", "HLXU", "Hapag-Lloyd", "Hamburg Express 2611W", "PO-88420", None, "Lichtwerk GmbH, Hamburg", "Shenzhen Bright LED Co.", "Shenzhen Shekou", "HH"),
    "NW-2026-005": ("CMR-MX-556120", None, "Transportes Monterrey", "Truck NL-4471", "PO-88433", "3AL-0240-6002211", "Autopartes del Norte", "Northwind Parts, Laredo TX", "Laredo TX", None),
    "NW-2026-006": ("020-55120394", None, "Lufthansa Cargo", "LH 8400", "PO-88440", "NW4-1102337-5", "Northwind Imports, Chicago", "Kugellager Schweinfurt AG", "Frankfurt (FRA)", "IL"),
    "NW-2026-007": ("OOLU2716550390", "OOLU", "OOCL", "OOCL Hong Kong 077E", "PO-88451", "NW4-1102389-6", "Northwind Apparel, Long Beach", "Ningbo Cotton Mills", "Ningbo", "CA"),
    "NW-2026-011": ("CMDUSHA1840233", "CMAU", "CMA CGM", "CMA CGM Zephyr 0MX3", "PO-88470", None, "Energía Solar Michoacán", "Hangzhou Inverter Tech", "Shanghai", "MIC"),
    "NW-2026-013": ("EGLV143500981223", "EGHU", "Evergreen", "Ever Gentle 1157W", "PO-88501", "26DE4711205338E1", "Gartenhaus Nord GmbH", "Fujian Woodcraft Co.", "Xiamen", "HH"),
    "NW-2026-014": ("ONEYSGNE07213300", "ONEU", "Ocean Network Express", "ONE Commitment 028E", "PO-88512", "NW4-1102455-1", "Northwind Sports, Los Angeles", "Saigon Footwear JSC", "Cat Lai, Ho Chi Minh City", "CA"),
    "NW-2026-015": ("NYKS7301256640", "NYKU", "NYK Line", "NYK Vesta 112W", "PO-88530", None, "Northwind Automation (Shanghai)", "Kyushu Robotics K.K.", "Yokohama", None),
}
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
        if ref in _CLOCK_SCENARIOS:
            when, eta = _CLOCK_SCENARIOS[ref](_TIMELINES[status], dest, mode, now)
            etd = when["departed"]
        shipment = Shipment(
            reference=ref, owner_org_id=orgs[0].id, origin_country=origin, destination_country=dest,
            port_of_entry=port, transport_mode=mode, incoterm=inco, goods_description=goods, hs_codes=hs,
            declared_value=Decimal(value), currency=cur, created_by_id=coordinator.id,
            etd=etd, eta=eta, **_record(ref, index),
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
            if index % 3 == 0:
                # Here the partner had the last word: the move is ours (whose move it is).
                add_message(locked, partner, "Received, thank you. Waiting for your go-ahead.",
                            client_id=str(uuid.uuid4()))
        _record_timeline(shipment, when, coordinator, [(users[i], role) for i, role in partners], index)
        refresh_clock(shipment)  # shipments without an arrival count from their ETA
        if index % 3:
            # Here the coordinator asked last: the move is the partner's.
            with shipment_transaction(shipment.id) as locked:
                add_message(locked, coordinator, f"@{partner.email.split('@')[0]} any news from customs today?",
                            client_id=str(uuid.uuid4()))
        _backdate_chat(shipment.id, index)
    db.session.commit()
    _seed_history(orgs[0], users, now)
    db.session.commit()
    _raise_demo_risks(users[1])
    return True


def _raise_demo_risks(coordinator: User) -> None:
    """The holds and inspections raised their flags as they were recorded; the risks area adds
    the time-based ones (the overdue shipment, documents missing close to arrival) and the
    coordinator's tariff change for the cotton apparel shipments (the `demo_seeded` signal: the
    demo sits above every area but must not import the risks area, which the CLI's commands
    reach)."""
    from hub.signals import demo_seeded

    demo_seeded.send(coordinator, policy_changes=[{
        "note": "USTR notice: the additional duty on cotton knitted apparel from CN (HTS 6109.10) rises to 25% "
                "for entries from 1 January. Check the landed cost with the consignee before release.",
        "hs_codes": ["6109"], "severity": "medium",
    }])


def _record(ref: str, index: int) -> dict[str, object]:
    """The customs record fields of a demo shipment (containers with real check digits)."""
    if ref not in _RECORDS:
        return {}
    bl, owner, carrier, vessel, po, entry, consignee, supplier, loading, subdivision = _RECORDS[ref]
    containers = []
    if owner:
        for n in range(1 + index % 3):
            serial = f"{(315_427 + index * 7_919 + n * 104_729) % 1_000_000:06d}"
            containers.append(f"{owner}{serial}{container_check_digit(owner + serial)}")
    return {
        "transport_document_number": bl, "container_numbers": containers, "carrier": carrier,
        "vessel_or_flight": vessel, "purchase_order": po, "customs_entry_number": entry, "consignee": consignee,
        "supplier": supplier, "port_of_loading": loading, "port_of_entry_subdivision": subdivision,
    }


def _local_moment(day: date, hour: int, country: str) -> datetime:
    profile = profile_for(country)
    zone = ZoneInfo(profile.time_zone if profile else "UTC")
    return datetime.combine(day, time(hour), zone).astimezone(UTC)


def _business_days_before(calendar: BusinessCalendar, day: date, count: int) -> date:
    """The business day `count` business days before `day`."""
    while count > 0:
        day -= timedelta(days=1)
        if calendar.is_business_day(day):
            count -= 1
    return day


Scenario = tuple[dict[str, datetime], datetime]


def _overdue(codes: tuple[str, ...], country: str, mode: str, now: datetime) -> Scenario:
    """Arrived so long ago that its expected release was two business days ago: overdue."""
    profile = profile_for(country)
    calendar = calendar_of(profile)
    expected = _business_days_before(calendar, today_at(profile), 2)
    arrived = _business_days_before(calendar, expected, profile.clearance_days[mode])
    return _around_arrival(codes, mode, _local_moment(arrived, 9, country))


def _due_next_business_day(codes: tuple[str, ...], country: str, mode: str, now: datetime) -> Scenario:
    """Arrived so that one business day is left: about to be overdue."""
    profile = profile_for(country)
    calendar = calendar_of(profile, "CA")
    expected = calendar.add_business_days(today_at(profile), 1)
    arrived = _business_days_before(calendar, expected, profile.clearance_days[mode])
    return _around_arrival(codes, mode, min(_local_moment(arrived, 7, country), now - timedelta(hours=1)))


def _across_holiday(codes: tuple[str, ...], country: str, mode: str, now: datetime) -> Scenario:
    """Not arrived yet; its ETA is the business day before the destination's next public
    holiday on a working day, so the clearance window crosses it."""
    profile = profile_for(country)
    calendar = calendar_of(profile)
    today = today_at(profile)
    holiday = next(
        day for day, _name in calendar.holidays_between(today + timedelta(days=3), today + timedelta(days=400))
        if day.weekday() in weekday_numbers(profile.working_days)
    )
    eta = _business_days_before(calendar, holiday, 1)
    departed = _local_moment(eta, 10, country) - timedelta(days=_TRANSIT_DAYS[mode])
    if departed > now:
        departed = now - timedelta(hours=2)
    return _timeline_times(codes, mode, departed), _local_moment(eta, 10, country)


def _around_arrival(codes: tuple[str, ...], mode: str, arrived: datetime) -> Scenario:
    times = _timeline_times(codes, mode, arrived)
    shift = arrived - times["arrived"]
    return {code: moment + shift for code, moment in times.items()}, arrived


_CLOCK_SCENARIOS = {"NW-2026-013": _overdue, "NW-2026-014": _due_next_business_day, "NW-2026-015": _across_holiday}


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


# --- whose move it is, and the history the dashboard draws ------------------------------------

# How long ago each current shipment's conversation happened (cycled): the hand-overs it made
# then are as old, so the list shows partners and us waiting for a while.
_CHAT_AGES_H = (5, 26, 49, 3, 73, 30, 8, 52, 20, 97, 4, 44, 28, 6, 60)


def _backdate_chat(shipment_id: int, index: int) -> None:
    """Move the shipment's thread (and the hand-overs it made) back in time, all by the same
    amount: its last message is some hours old, and so is whose move it is."""
    from sqlalchemy import update

    from hub.threads.models import Message

    shift = timedelta(hours=_CHAT_AGES_H[index % len(_CHAT_AGES_H)])
    for message in db.session.scalars(select(Message).where(Message.shipment_id == shipment_id)):
        message.created_at -= shift
    handovers = _handovers_table()
    for row in db.session.execute(select(handovers).where(handovers.c.shipment_id == shipment_id)).all():
        db.session.execute(update(handovers).where(handovers.c.id == row.id).values(
            since=row.since - shift, until=row.until - shift if row.until is not None else None))
    db.session.commit()


def _handovers_table() -> Any:
    """The hand-overs table, by name: the demo sits beside the CLI, which the hand-overs' risk
    rule reaches through the notifications area, so importing that area here would close a
    circle of imports (tests/test_architecture.py)."""
    return db.metadata.tables["handovers"]


# Released shipments of the last months: origin, destination, mode, the customs partner (user
# index, role). Each lane's partner is the one in the destination country.
_HISTORY_LANES = (
    ("CN", "US", "sea", (7, "agent")), ("DE", "US", "air", (7, "agent")),
    ("US", "MX", "road", (4, "agent")), ("CN", "MX", "sea", (4, "agent")),
    ("CN", "DE", "sea", (5, "broker")), ("US", "DE", "air", (5, "broker")),
    ("DE", "CN", "rail", (3, "agent")), ("US", "CN", "courier", (3, "agent")),
)
HISTORY_COUNT = 28
# Business days released after (or before) the profile's expectation, cycled: mostly on time.
_HISTORY_OFFSETS = (0, 1, -1, 2, 0, 3, 0, 1, 0)
# The partner's answer to the coordinator's question, in their working hours, cycled.
_HISTORY_ANSWER_H = (1.0, 3.0, 5.5, 2.0, 8.0, 0.5, 4.0, 12.0, 1.5)
_HISTORY_GOODS = ("Spare parts", "Packaging film", "Ceramic tiles", "Office chairs", "Bicycle frames",
                  "Garden tools", "Laboratory glassware")


def history_rows(now: datetime) -> list[tuple[str, str, str, str, tuple[int, str], datetime, int]]:
    """(reference, origin, destination, mode, partner, arrival, release offset) of the history."""
    rows = []
    for n in range(HISTORY_COUNT):
        origin, destination, mode, partner = _HISTORY_LANES[n % len(_HISTORY_LANES)]
        arrived = now - timedelta(days=150 - n * 5)
        rows.append((f"NW-2026-{101 + n}", origin, destination, mode, partner, arrived,
                     _HISTORY_OFFSETS[n % len(_HISTORY_OFFSETS)]))
    return rows


def _after_working_hours(user: User, start: datetime, hours: float) -> datetime:
    """The moment `hours` of `user`'s working time after `start`."""
    from hub.accounts.working_hours import working_hours_of

    wh = working_hours_of(user)
    left = timedelta(hours=hours)
    day = start.astimezone(wh.zone).date()
    moment = start
    for _ in range(400):
        if wh.calendar.is_business_day(day):
            opens = datetime.combine(day, wh.start, wh.zone).astimezone(UTC)
            closes = datetime.combine(day, wh.end, wh.zone).astimezone(UTC)
            begin = max(opens, moment)
            if closes > begin:
                if closes - begin >= left:
                    return begin + left
                left -= closes - begin
        day += timedelta(days=1)
    return moment


def _seed_history(owner: Organization, users: list[User], now: datetime) -> None:
    """Released shipments over the last five months (timelines through the milestone service,
    so their clocks hold the business days clearance took) and the hand-overs of a question to
    their partner and its answer, for the dashboard's figures."""
    handovers = _handovers_table()
    for n, (ref, origin, destination, mode, (user_index, role), arrived, offset) in enumerate(history_rows(now)):
        coordinator = users[1 + n % 2]
        partner = users[user_index]
        profile = profile_for(destination)
        calendar = calendar_of(profile)
        arrival = _local_moment(arrived.astimezone(ZoneInfo(profile.time_zone)).date(), 9, destination)
        days = max(0, profile.clearance_days[mode] + offset)
        released = _local_moment(calendar.add_business_days(arrival.astimezone(ZoneInfo(profile.time_zone)).date(),
                                                            days), 15, destination)
        departed = arrival - timedelta(days=_TRANSIT_DAYS[mode])
        span = released - arrival
        when = {
            "booked": departed - timedelta(days=5), "documents_requested": departed - timedelta(days=4),
            "documents_complete": departed - timedelta(days=2), "declaration_filed": arrival - timedelta(days=1),
            "departed": departed, "arrived": arrival, "duties_assessed": arrival + span / 3,
            "duties_paid": arrival + 2 * span / 3, "released": released,
        }
        if n % 3:
            when["delivered"] = released + timedelta(days=1)
        shipment = Shipment(
            reference=ref, owner_org_id=owner.id, origin_country=origin, destination_country=destination,
            port_of_entry=None, transport_mode=mode, goods_description=_HISTORY_GOODS[n % len(_HISTORY_GOODS)],
            hs_codes=[], created_by_id=coordinator.id, etd=departed, eta=arrival,
        )
        shipment.participants.append(ShipmentParticipant(user=coordinator, role="coordinator", added_by_id=coordinator.id))
        shipment.participants.append(ShipmentParticipant(user=partner, role=role, added_by_id=coordinator.id))
        db.session.add(shipment)
        db.session.commit()
        _record_timeline(shipment, when, coordinator, [(partner, role)], n)
        asked = arrival - timedelta(days=2)
        answered = _after_working_hours(partner, asked, _HISTORY_ANSWER_H[n % len(_HISTORY_ANSWER_H)])
        db.session.execute(handovers.insert(), [
            {"shipment_id": shipment.id, "party": "partner", "user_id": partner.id,
             "organization_id": partner.organization_id, "since": asked, "until": answered, "cause": "mention",
             "answered_by_id": None},
            {"shipment_id": shipment.id, "party": "us", "user_id": None, "organization_id": None, "since": answered,
             "until": released, "cause": "message", "answered_by_id": partner.id},
        ])
        db.session.commit()
