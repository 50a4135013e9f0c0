"""The demo data set: a shipper, partners in China, Mexico, Germany, the Netherlands and the United States,
fifteen shipments under way and the released shipments of the last five months."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from hub.accounts.models import Organization, User
from hub.business_days import BusinessCalendar, weekday_numbers
from hub.countries.clock import refresh_clock, today_at
from hub.countries.profiles import calendar_of, profile_for
from hub.documents.models import Document, DocumentRequest
from hub.extensions import db
from hub.reference_data import container_check_digit, country_name
from hub.shipment_tx import shipment_transaction
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.threads.models import Message
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

# What people say on a shipment, after the milestone named (hours later): by the coordinator
# ("coord"), the customs partner ("customs": agent or broker), or the forwarder. Each shipment
# takes one of the variants (by its index), so threads differ.
_Line = tuple[float, str, str]
_TALK: dict[str, tuple[tuple[_Line, ...], ...]] = {
    "opened": (
        ((1, "coord", "Hi @{customs}, this one is yours: {goods}, HS {hs}. Booking confirmation to follow."),
         (3, "customs", "Thanks {coord_first}, noted. Please send the commercial invoice as soon as you have it.")),
        ((2, "coord", "@{customs} new shipment for you: {goods}. Any special permit we should think of for {dest}?"),
         (5, "customs", "Nothing special for HS {hs}; the usual invoice, packing list and transport document.")),
    ),
    "booked": (
        ((4, "forwarder", "Space confirmed with {carrier}. Cut-off is the day after tomorrow."),),
        ((2, "coord", "Booking done. @{customs} do you need the supplier's export licence too?"),
         (6, "customs", "Not for this HS code, no.")),
    ),
    "documents_requested": (
        ((3, "coord", "Uploading the invoice and packing list now."),),
        ((2, "coord", "Supplier sent the papers this morning, uploading."),
         (20, "customs", "Got them, reviewing today.")),
    ),
    "documents_complete": (
        ((2, "customs", "All documents in order. I will lodge the declaration before arrival."),),
        ((3, "coord", "Great, thanks for the quick review @{customs}."),),
    ),
    "declaration_filed": (
        ((1, "customs", "Entry lodged; reference is in the shipment record."),),
        ((4, "coord", "Thanks. Any duty estimate yet?"),
         (7, "customs", "Roughly 4 % of the customs value, I will confirm after assessment.")),
    ),
    "departed": (
        ((2, "forwarder", "Sailed on schedule with {vessel}. Tracking: https://track.example.com/{reference}"),),
        ((3, "coord", "Departure confirmed by the carrier. ETA {eta}."),),
    ),
    "arrived": (
        ((2, "customs", "Arrived at {port}. Waiting for the terminal to release the container for customs."),
         (4, "coord", "Thanks. The consignee wants it by Friday if at all possible.")),
        ((1, "forwarder", "Discharged at {port}, container available from tomorrow."),),
    ),
    "under_inspection": (
        ((1, "customs", "Customs selected it for a physical examination. Usually one or two days at {port}."),
         (2, "coord", "Understood. Do they need anything from us?"),
         (3, "customs", "Not yet; I will be at the exam and tell you.")),
    ),
    "on_hold": (
        ((1, "customs", "Held: the phytosanitary certificate is missing. I have asked for it in the documents panel."),
         (3, "coord", "Chasing the supplier now, @{customs}. Will upload as soon as it arrives.")),
    ),
    "duties_assessed": (
        ((2, "customs", "Duties and VAT assessed, payment notice attached to the entry."),
         (5, "coord", "Paying today.")),
    ),
    "duties_paid": (
        ((1, "coord", "Duties paid, receipt forwarded to @{customs}."),),
    ),
    "released": (
        ((1, "customs", "Released by customs. The trucker can collect."),
         (3, "coord", "Thank you, great work!")),
    ),
    "delivered": (
        ((2, "coord", "Delivered and signed for. Closing this one, thanks everyone."),),
    ),
}
# Transport document types are shared by the forwarder when there is one; the rest by the shipper.
_TRANSPORT_DOCUMENTS = {"bill_of_lading", "air_waybill", "road_consignment_note", "rail_waybill"}
# One shipment's packing list is rejected once (the numbers disagree), then a corrected one accepted.
_REJECTED_ONCE = {"NW-2026-004": ("packing_list", "Carton count differs from the invoice (420 here, 412 there).")}


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
        # The story ends three of the coordinator's working hours ago, so on a weekend or early in
        # the morning the waits it leaves have run for a while in working time too.
        story_end = _before_working_hours(coordinator, now, 3) - timedelta(minutes=7 * index)
        when = _timeline_times(_TIMELINES[status], mode, story_end)
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
        db.session.commit()
        _Story(shipment, coordinator, [(users[i], role) for i, role in partners], index, now).tell(when)
        refresh_clock(shipment)  # shipments without an arrival count from their ETA
        _last_word(shipment.id, coordinator, users[partners[0][0]], index)
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


def _pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF showing `title` and `lines` (the demo's documents)."""
    def escape(text: str) -> str:
        return text.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\").replace("(", "\\(") \
            .replace(")", "\\)")

    text = ["BT /F1 18 Tf 56 780 Td (" + escape(title) + ") Tj ET"]
    for number, line in enumerate(lines):
        text.append(f"BT /F1 11 Tf 56 {750 - 18 * number} Td ({escape(line)}) Tj ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class _Story:
    """One shipment's history told in the order it happened: the thread's conversation, the
    milestones as reported, the document requests, uploads and reviews that go with them; each
    message, milestone and document dated when it happened, not when the demo was seeded."""

    def __init__(self, shipment: Shipment, coordinator: User, partners: list[tuple[User, str]], index: int,
                 now: datetime) -> None:
        self.shipment = shipment
        self.coordinator = coordinator
        self.partners = partners
        self.index = index
        self.now = now
        self.customs = next((u for u, role in partners if role in ("agent", "broker")), None)
        self.forwarder = next((u for u, role in partners if role == "forwarder"), None)
        self.events: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.last_seq = 0

    def at(self, moment: datetime, action: Callable[[datetime], None]) -> None:
        """Do `action` as if at `moment` (never later than a few minutes ago)."""
        moment = min(moment, self.now - timedelta(minutes=30 - len(self.events) % 25))
        self.events.append((moment, len(self.events), action))

    # --- what happens ----------------------------------------------------------------------

    def tell(self, when: dict[str, datetime]) -> None:
        """Seed the whole story of the shipment, given when each of its milestones happened."""
        opened = (min(when.values()) if when else self.now - timedelta(days=2)) - timedelta(hours=20)
        self.at(opened, lambda _t: self._post(None, "Shipment opened; partners added."))
        self._talk("opened", opened)
        late = self.index % 5 == 0 and "departed" in when and "arrived" in when
        for code, moment in when.items():
            reported = when["arrived"] + timedelta(hours=5) if late and code == "departed" else moment
            self.at(reported, lambda t, code=code: self._milestone(code, when[code], t))
            self._talk(code, moment)
        self._documents(when)
        for moment, _order, action in sorted(self.events, key=lambda event: (event[0], event[1])):
            action(moment)
            self._date_messages(moment)
        db.session.commit()

    def _talk(self, code: str, moment: datetime) -> None:
        variants = _TALK.get(code)
        if not variants:
            return
        for hours, who, text in variants[self.index % len(variants)]:
            author = {"coord": self.coordinator, "customs": self.customs, "forwarder": self.forwarder}[who]
            if author is None:
                author = self.coordinator if who != "coord" else None
            if author is not None:
                self.at(moment + timedelta(hours=hours), lambda _t, a=author, body=text: self._post(a, body))

    def _post(self, author: User | None, text: str) -> None:
        shipment = self.shipment
        customs = self.customs or self.coordinator
        body = text.format(
            customs=customs.email.split("@")[0], coord_first=self.coordinator.name.split()[0],
            goods=(shipment.goods_description or "").lower(), hs=shipment.hs_codes[0] if shipment.hs_codes else "",
            dest=shipment.destination_country, port=shipment.port_of_entry or "the port",
            carrier=shipment.carrier or "the carrier", vessel=shipment.vessel_or_flight or "the vessel",
            reference=shipment.reference, eta=shipment.eta.strftime("%d %b") if shipment.eta else "to follow",
        )
        with shipment_transaction(shipment.id) as locked:
            add_message(locked, author, body, kind="system" if author is None else "text",
                        client_id=None if author is None else str(uuid.uuid4()))

    def _milestone(self, code: str, occurred: datetime, reported: datetime) -> None:
        from hub.milestones.services import record_milestone

        values: dict[str, str] = {"code": code, "occurred_at": occurred.isoformat()}
        # Transport milestones happen at origin, customs ones at the port of entry; paperwork nowhere.
        if code in ("booked", "departed"):
            location = country_name(self.shipment.origin_country)
        elif code in ("documents_requested", "documents_complete"):
            location = None
        else:
            location = self.shipment.port_of_entry
        if location:
            values["location"] = location
        if code in _NOTES:
            values["note"] = _NOTES[code]
        elif reported - occurred > timedelta(days=1):
            values["note"] = "Reported late: the carrier confirmed the sailing only after arrival."
        milestone, _created = record_milestone(_reporter(code, self.coordinator, self.partners), self.shipment.id,
                                               values, via="web")
        milestone.recorded_at = reported

    def _documents(self, when: dict[str, datetime]) -> None:
        """Requests when documents are asked for; every required document uploaded and accepted
        before "Documents complete" (one packing list rejected first on one shipment); the
        phytosanitary certificate asked for when the shipment is held for it."""
        from hub.documents.rules import required_documents

        required = [r.doc_type for r in required_documents(self.shipment)]
        if "documents_requested" in when:
            asked = when["documents_requested"] + timedelta(minutes=20)
            requester = _reporter("documents_requested", self.coordinator, self.partners)
            due = (asked + timedelta(days=3)).date().isoformat()
            for doc_type in required:
                self.at(asked, lambda t, d=doc_type: self._request(requester, d, due, None))
            if "documents_complete" in when:
                finish = when["documents_complete"] - timedelta(hours=2)
                step = (finish - asked) / (len(required) * 2 + 2)
                for number, doc_type in enumerate(required):
                    uploaded = asked + step * (2 * number + 1)
                    self._upload_and_review(doc_type, uploaded, step)
            else:
                self._upload_and_review(required[0], asked + timedelta(hours=3), None)
        if "on_hold" in when and self.customs is not None:
            self.at(when["on_hold"] + timedelta(minutes=40), lambda t: self._request(
                self.customs, "phytosanitary_certificate", (t + timedelta(days=2)).date().isoformat(),
                "Needed for the release; the original goes to the port health office."))

    def _upload_and_review(self, doc_type: str, uploaded: datetime, step: timedelta | None) -> None:
        uploader = self.forwarder if doc_type in _TRANSPORT_DOCUMENTS and self.forwarder else self.coordinator
        rejected = _REJECTED_ONCE.get(self.shipment.reference)
        holder: dict[str, int] = {}

        def upload(t: datetime, version: int = 1) -> None:
            from hub.documents.catalogue import doc_label
            from hub.documents.services import add_document_version, stage_file, upload_document

            label = doc_label(doc_type)
            name = f"{doc_type.replace('_', '-')}-{self.shipment.reference}{'-v2' if version > 1 else ''}.pdf"
            content = _pdf(f"{label} {self.shipment.reference}", [
                f"Goods: {self.shipment.goods_description}", f"HS: {', '.join(self.shipment.hs_codes)}",
                f"Consignee: {self.shipment.consignee or '-'}", f"Supplier: {self.shipment.supplier or '-'}",
                f"Version {version}"])
            staged = stage_file(io.BytesIO(content), name)
            if version == 1:
                document = upload_document(uploader, self.shipment, doc_type, None, staged)
                holder["id"] = document.id
            else:
                document = db.session.get(Document, holder["id"])
                add_document_version(uploader, document, "Corrected carton count.", staged)
            self._date_document(holder["id"], t)

        def review(t: datetime, decision: str, reason: str | None = None) -> None:
            from hub.documents.services import do_review_document

            if self.customs is None:
                return
            document = db.session.get(Document, holder["id"])
            do_review_document(self.customs, document, {"decision": decision, **({"reason": reason} if reason else {})})
            version = db.session.get(Document, holder["id"]).version_row()
            version.reviewed_at = t

        self.at(uploaded, upload)
        if step is None:
            return
        if rejected and rejected[0] == doc_type:
            self.at(uploaded + step * 0.3, lambda t: review(t, "reject", rejected[1]))
            self.at(uploaded + step * 0.6, lambda t: upload(t, 2))
        self.at(uploaded + step * 0.9, lambda t: review(t, "accept"))

    def _request(self, requester: User, doc_type: str, due: str, note: str | None) -> None:
        from hub.documents.services import request_document

        body = {"doc_type": doc_type, "due_date": due} | ({"note": note} if note else {})
        request_document(requester, self.shipment, body)

    # --- dating what was just written ------------------------------------------------------

    def _date_document(self, document_id: int, moment: datetime) -> None:
        document = db.session.get(Document, document_id)
        if document.current_version == 1:
            document.created_at = moment
        document.version_row().uploaded_at = moment
        for row in db.session.scalars(select(DocumentRequest).where(
                DocumentRequest.shipment_id == self.shipment.id, DocumentRequest.document_id == document_id)):
            row.fulfilled_at = max(moment, row.created_at)

    def _date_messages(self, moment: datetime) -> None:
        """Date the messages (and requests) the last step wrote at `moment`."""
        db.session.execute(update(Message).where(Message.shipment_id == self.shipment.id, Message.seq > self.last_seq)
                           .values(created_at=moment))
        db.session.execute(update(DocumentRequest).where(DocumentRequest.shipment_id == self.shipment.id,
                                                         DocumentRequest.created_at > self.now)
                           .values(created_at=moment))
        self.last_seq = db.session.scalar(select(func.max(Message.seq)).where(
            Message.shipment_id == self.shipment.id)) or 0
        db.session.commit()


def _record_timeline(shipment: Shipment, when: dict[str, datetime], coordinator: User,
                     partners: list[tuple[User, str]]) -> None:
    """Record a past shipment's milestones in order at the times `when` gives, through the
    milestone service, so its status and clock come from the rules (the dashboard's history)."""
    from hub.milestones.services import record_milestone

    for code, moment in sorted(when.items(), key=lambda item: item[1]):
        values: dict[str, str] = {"code": code, "occurred_at": moment.isoformat()}
        if code in ("booked", "departed"):
            values["location"] = country_name(shipment.origin_country)
        elif code not in ("documents_requested", "documents_complete") and shipment.port_of_entry:
            values["location"] = shipment.port_of_entry
        if code in _NOTES:
            values["note"] = _NOTES[code]
        record_milestone(_reporter(code, coordinator, partners), shipment.id, values, via="web")
    # Each milestone's thread message is dated when it was reported (seeded now).
    messages = db.session.scalars(select(Message).where(Message.shipment_id == shipment.id).order_by(Message.seq)).all()
    if len(messages) == len(when):
        for message, moment in zip(messages, sorted(when.values()), strict=True):
            message.created_at = moment + timedelta(minutes=20)
        db.session.commit()


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


def _last_word(shipment_id: int, coordinator: User, partner: User, index: int) -> None:
    """End the thread with whose move it is: the partner's answer (ours to move) or the
    coordinator's question (the partner's), some hours old. The story's messages were seeded now
    and dated back afterwards, so the hand-overs they made are dropped: only this last exchange
    says who holds the ball, and since when."""

    handovers = _handovers_table()
    db.session.execute(handovers.delete().where(handovers.c.shipment_id == shipment_id))
    db.session.commit()
    last_at = db.session.scalar(select(func.max(Message.created_at)).where(Message.shipment_id == shipment_id))
    with shipment_transaction(shipment_id) as locked:
        if index % 3 == 0:
            message = add_message(locked, partner, "Received, thank you. Waiting for your go-ahead.",
                                  client_id=str(uuid.uuid4()))
        else:
            message = add_message(locked, coordinator, f"@{partner.email.split('@')[0]} any news from customs today?",
                                  client_id=str(uuid.uuid4()))
    posted = message.created_at
    # As old in the coordinator's working time as the age is in a day's (9 of 24 hours), so a
    # demo seeded on a Sunday or early in the morning has waits that have run for a while too.
    moment = _before_working_hours(coordinator, posted, _CHAT_AGES_H[index % len(_CHAT_AGES_H)] * 9 / 24)
    if last_at is not None:
        moment = max(moment, _aware(last_at) + timedelta(minutes=10))
    moment = min(moment, posted)
    shift = posted - moment
    db.session.execute(update(Message).where(Message.id == message.id).values(created_at=moment))
    for row in db.session.execute(select(handovers).where(handovers.c.shipment_id == shipment_id)).all():
        db.session.execute(update(handovers).where(handovers.c.id == row.id).values(
            since=row.since - shift, until=row.until - shift if row.until is not None else None))
    db.session.commit()


def _aware(value: datetime) -> datetime:
    """SQLite hands datetimes back naive (they are UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


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
    return _working_time_away(user, start, hours, forward=True)


def _before_working_hours(user: User, end: datetime, hours: float) -> datetime:
    """The moment `hours` of `user`'s working time before `end`."""
    return _working_time_away(user, end, hours, forward=False)


def _working_time_away(user: User, start: datetime, hours: float, forward: bool) -> datetime:
    """The moment `hours` of `user`'s working time after (or before) `start`."""
    from hub.accounts.working_hours import working_hours_of

    wh = working_hours_of(user)
    left = timedelta(hours=hours)
    day = start.astimezone(wh.zone).date()
    for _ in range(400):
        if wh.calendar.is_business_day(day):
            opens = datetime.combine(day, wh.start, wh.zone).astimezone(UTC)
            closes = datetime.combine(day, wh.end, wh.zone).astimezone(UTC)
            low, high = (max(opens, start), closes) if forward else (opens, min(closes, start))
            if high > low:
                if high - low >= left:
                    return low + left if forward else high - left
                left -= high - low
        day += timedelta(days=1 if forward else -1)
    return start


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
            # No paperwork milestones: the history seeds no documents, and "Documents complete" without
            # them would not hold together.
            "booked": departed - timedelta(days=5), "declaration_filed": arrival - timedelta(days=1),
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
        _record_timeline(shipment, when, coordinator, [(partner, role)])
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
