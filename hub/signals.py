"""Domain signals, sent inside the writing transaction (before commit) so subscribers such as
the email outbox add their rows atomically with the change that caused them.

Senders and keyword arguments are part of the contract between areas; keep them stable.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender: the Message just added (flushed, not committed). Used for mentions and digests.
message_posted = _signals.signal("message-posted")

#: sender: the Milestone just recorded (flushed); kwargs: actor (User).
milestone_recorded = _signals.signal("milestone-recorded")

#: sender: the Shipment; kwargs: actor (User), request_id (int), doc_type (str), label (str),
#: due_date (date | None), note (str | None).
document_requested = _signals.signal("document-requested")

#: sender: the Shipment; kwargs: actor (User, the reviewer), uploader (User), document_id (int),
#: doc_type (str), label (str), filename (str), version (int), decision ("accept" | "reject"),
#: reason (str | None).
document_reviewed = _signals.signal("document-reviewed")

#: sender: the Shipment; kwargs: actor (User), document_id (int), doc_type (str), label (str),
#: filename (str), version (int). (Upload and new version; not emailed by default.)
document_uploaded = _signals.signal("document-uploaded")

#: sender: the Shipment just created or edited (flushed, not committed); kwargs: actor (User),
#: changed (frozenset of field names; every given field when created), created (bool).
shipment_saved = _signals.signal("shipment-saved")
