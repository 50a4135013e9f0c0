"""The clearance milestone catalogue: one place for codes, labels, order and kind.

Usual order as in the domain page; `under_inspection` and `on_hold` are exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MilestoneType:
    """One milestone code of the catalogue."""

    code: str
    label: str
    exception: bool = False
    notifies: bool = True


CATALOGUE: tuple[MilestoneType, ...] = (
    MilestoneType("booked", "Booked"),
    MilestoneType("documents_requested", "Documents requested"),
    MilestoneType("documents_complete", "Documents complete"),
    MilestoneType("declaration_filed", "Declaration filed"),
    MilestoneType("departed", "Departed"),
    MilestoneType("arrived", "Arrived"),
    MilestoneType("under_inspection", "Under inspection", exception=True),
    MilestoneType("on_hold", "On hold", exception=True),
    MilestoneType("duties_assessed", "Duties assessed"),
    MilestoneType("duties_paid", "Duties paid"),
    MilestoneType("released", "Released"),
    MilestoneType("delivered", "Delivered"),
)

BY_CODE: dict[str, MilestoneType] = {m.code: m for m in CATALOGUE}
ORDER: dict[str, int] = {m.code: i for i, m in enumerate(CATALOGUE)}
#: Every value `Shipment.status` can take.
STATUS_CODES: tuple[str, ...] = ("new",) + tuple(m.code for m in CATALOGUE)


def label(code: str) -> str:
    """The English label of a status or milestone code."""
    if code == "new":
        return "New"
    milestone = BY_CODE.get(code)
    return milestone.label if milestone else code


def next_code(recorded: list[str] | tuple[str, ...] | set[str]) -> str:
    """The regular milestone that usually comes next after those recorded: the first one after
    the furthest recorded in the catalogue's order (`booked` when none; the last when done)."""
    regular = [m.code for m in CATALOGUE if not m.exception]
    reached = max((regular.index(code) for code in recorded if code in regular), default=-1)
    return regular[min(reached + 1, len(regular) - 1)]
