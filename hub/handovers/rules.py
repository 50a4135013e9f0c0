"""The hand-over rules, all of them: who holds the ball after each thing that happens on a
shipment. Pure functions of small facts (no database), so each rule is tested on its own and
the subscribers only gather facts and store what these answer.

- The ball passes to a partner when staff ask something of them: a message that mentions them,
  or the first staff message after that partner's last one; a document request meant for them
  (the partner it mentions, else the shipment's agent, broker or forwarder); a rejected document
  (to its uploader).
- It comes back to `us` when that partner (or a colleague of their organisation) answers on any
  channel: a message (page, socket, REST, email), an upload or new version, a document request or
  review of their own, a milestone they report.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Which partner a staff document request is meant for when its note mentions nobody: the
#: first participant with one of these roles, in this order.
REQUEST_ROLES = ("agent", "broker", "forwarder")


@dataclass(frozen=True)
class Person:
    """Someone acting on the shipment: a partner (not staff) or staff of the shipper."""

    user_id: int
    organization_id: int
    is_staff: bool


@dataclass(frozen=True)
class Holder:
    """Who holds the ball now. `user_id`/`organization_id` name the partner (party `partner`);
    `answered_by` (party `us`) is the partner whose message staff owe an answer."""

    party: str
    user_id: int | None = None
    organization_id: int | None = None
    answered_by: Person | None = None


@dataclass(frozen=True)
class Change:
    """What to store: a new holder (`handed` True: close the open period and open another) or,
    with `handed` False, the same holder with a new `answered_by` (the open period updated)."""

    holder: Holder
    cause: str
    handed: bool = True


def _holds(current: Holder | None, person: Person) -> bool:
    """Whether `person` (or a colleague of their organisation) holds the ball."""
    return (current is not None and current.party == "partner"
            and (current.user_id == person.user_id or current.organization_id == person.organization_id))


def ask_partner(current: Holder | None, partner: Person, cause: str) -> Change | None:
    """Staff ask `partner` something: the ball passes to them unless they hold it already."""
    if current is not None and current.party == "partner" and current.user_id == partner.user_id:
        return None
    return Change(Holder("partner", partner.user_id, partner.organization_id), cause)


def partner_acted(current: Holder | None, partner: Person, cause: str) -> Change | None:
    """A partner answered on some channel: the ball comes back to us when they (or their
    organisation) held it, or when nobody did yet; while it is with us already, staff now owe
    an answer to this partner."""
    if current is None or _holds(current, partner):
        return Change(Holder("us", answered_by=partner), cause)
    if current.party == "us" and current.answered_by != partner:
        return Change(Holder("us", answered_by=partner), cause, handed=False)
    # Another partner holds the ball: this one's word does not answer for them.
    return None


def after_message(current: Holder | None, author: Person, mentioned_partners: list[Person]) -> Change | None:
    """A text message was posted by `author`; `mentioned_partners` are the partners it mentions
    (in the order written; observers and staff left out)."""
    if not author.is_staff:
        return partner_acted(current, author, "message")
    if mentioned_partners:
        return ask_partner(current, mentioned_partners[0], "mention")
    if current is not None and current.party == "us" and current.answered_by is not None:
        # The first staff message after that partner's last one: their turn again.
        return ask_partner(current, current.answered_by, "follow_up")
    return None


def after_document_request(current: Holder | None, requester: Person, meant_for: Person | None) -> Change | None:
    """A document was requested: by staff, of `meant_for` (None: no partner to ask); by a
    partner, it is their move done and ours to make."""
    if not requester.is_staff:
        return partner_acted(current, requester, "request")
    return None if meant_for is None else ask_partner(current, meant_for, "document_request")


def after_review(current: Holder | None, reviewer: Person, uploader: Person | None, rejected: bool) -> Change | None:
    """A document version was reviewed: a rejection is a request to its partner uploader to try
    again; a partner's review (a broker's) is their answer."""
    if not reviewer.is_staff:
        return partner_acted(current, reviewer, "message")
    if rejected and uploader is not None and not uploader.is_staff:
        return ask_partner(current, uploader, "document_rejected")
    return None


def after_upload(current: Holder | None, uploader: Person) -> Change | None:
    """A document or a new version was uploaded: a partner's upload answers."""
    return None if uploader.is_staff else partner_acted(current, uploader, "upload")


def after_milestone(current: Holder | None, reporter: Person) -> Change | None:
    """A milestone was recorded: one the partner reports answers."""
    return None if reporter.is_staff else partner_acted(current, reporter, "milestone")
