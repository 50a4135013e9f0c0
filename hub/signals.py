"""Domain signals, sent inside the writing transaction (before commit) so subscribers such as
the email outbox add their rows atomically with the change that caused them.

Senders and keyword arguments are part of the contract between areas; keep them stable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from blinker import NamedSignal, Namespace

_signals = Namespace()

#: sender: the Message just added (flushed, not committed). Used for mentions and digests.
message_posted = _signals.signal("message-posted")

#: sender: the Milestone just recorded (flushed); kwargs: actor (User).
milestone_recorded = _signals.signal("milestone-recorded")

#: sender: the Shipment; kwargs: actor (User), request_id (int), doc_type (str), label (str),
#: due_date (date | None), note (str | None), assignee_id (int | None: the one participant asked).
document_requested = _signals.signal("document-requested")

#: sender: the Shipment; kwargs: actor (User, the reviewer), uploader (User), document_id (int),
#: doc_type (str), label (str), filename (str), version (int), decision ("accept" | "reject"),
#: reason (str | None).
document_reviewed = _signals.signal("document-reviewed")

#: sender: the Shipment; kwargs: actor (User), document_id (int), doc_type (str), label (str),
#: filename (str), version (int). (Upload and new version; emailed to the owner's staff whose
#: level is "all" when a partner uploads.)
document_uploaded = _signals.signal("document-uploaded")

#: sender: the Shipment; kwargs: actor (User), user (User, the new participant), role (str),
#: invitation_link (str | None: set when the user was invited and must accept first),
#: accepted (bool, optional: True when the user accepted a pending invitation; actor is then
#: the user, and the thread notes that they joined).
participant_added = _signals.signal("participant-added")

#: sender: the Shipment; kwargs: actor (User, the coordinator), user (User, an existing user the
#: coordinator could not see, invited: pending until they accept), role (str), accept_link (str:
#: signed, expiring, single-use), account_link (str | None: set when the user never chose a
#: password). Nothing about the shipment reaches them before they accept.
participant_invited = _signals.signal("participant-invited")

#: sender: the Shipment; kwargs: actor (User), user_id (int), role (str). Their sockets leave
#: the shipment's room once the removal commits.
participant_removed = _signals.signal("participant-removed")

#: sender: the User (active, with a password); kwargs: link (str, the signed reset link),
#: hours (int, how long it works), stand_in (bool: True when the address has no account that
#: can reset; the sender is then an unsaved stand-in and subscribers do the same work as for a
#: real one but send nothing, so the request's timing does not tell the two apart).
password_reset_requested = _signals.signal("password-reset-requested")
#: sender: the InboundEmail record (added, not committed) of an email reply that was refused, in
#: whole or one of its attachments; kwargs: user (User: the known, active sender to tell why),
#: reason (str, a code of hub.inbound.services.REASONS), detail (str | None), shipment (Shipment |
#: None: only when the user still takes part in it).
inbound_email_refused = _signals.signal("inbound-email-refused")

#: sender: the Shipment just created or edited (flushed, not committed); kwargs: actor (User),
#: changed (frozenset of field names; every given field when created), created (bool).
shipment_saved = _signals.signal("shipment-saved")

#: sender: the socket's sid; kwargs: user_id (int). A socket was accepted.
socket_connected = _signals.signal("socket-connected")

#: sender: the socket's sid. An accepted socket closed.
socket_disconnected = _signals.signal("socket-disconnected")

#: sender: the client event's name ("join", "send", ...); kwargs: outcome ("ok" or the error
#: code of the acknowledgement). Sent once the event is answered.
socket_event_handled = _signals.signal("socket-event-handled")

#: sender: the outcome ("sent", "retry", "failed", "suppressed"); kwargs: outbox_id (int),
#: kind (str). One attempt of the email worker was recorded.
email_attempted = _signals.signal("email-attempted")

#: sender: the event ("bounce", "dropped", "spamreport", ...); kwargs: email (str). SendGrid
#: reported an address undeliverable (the webhook).
email_bounced = _signals.signal("email-bounced")

#: sender: the address (str, normalised); kwargs: suppressed (bool: True when SendGrid's
#: bounce or spam report stopped email to it, False when an admin lifted that). Sent inside the
#: transaction that changed the suppression list.
email_suppressed = _signals.signal("email-suppressed")

#: sender: the RiskFlag (flushed); kwargs: change ("opened" | "resolved"), label (str, the
#: rule's readable name), actor (User | None: None when a rule raised or resolved it). Escalation emails to the shipment's coordinators.
risk_flag_changed = _signals.signal("risk-flag-changed")

#: sender: the demo's first coordinator (User) once the demo is seeded and committed; kwargs:
#: policy_changes (list of {"note", "hs_codes", "severity"}: tariff news the demo raises as
#: risk flags). Areas add their demo state (the risks area: the time-based flags).
demo_seeded = _signals.signal("demo-seeded")

#: sender: the outcome ("posted", "rejected" or "duplicate"); kwargs: reason (str | None). An
#: inbound email reached the inbound webhook and was dealt with.
inbound_email_received = _signals.signal("inbound-email-received")


def subscribe(receivers: dict[NamedSignal, Callable[..., Any]]) -> None:
    """Connect each receiver to its signal, once per process however often it is called
    (blinker keeps one strong reference per receiver)."""
    for signal, receiver in receivers.items():
        signal.connect(receiver, weak=False)

#: sender: the User whose access ends; kwargs: token_id (int | None: that token's sockets only),
#: sessions (bool: the sockets of their browser sessions), everything (bool: every socket of
#: theirs). Sent inside the transaction that revoked the token, bumped the session generation
#: or deactivated the user; the sockets are disconnected on every server once it commits.
access_ended = _signals.signal("access-ended")
