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

#: sender: the Shipment; kwargs: actor (User), user (User, the new participant), role (str),
#: invitation_link (str | None: set when the user was invited and must accept first).
participant_added = _signals.signal("participant-added")

#: sender: the Shipment; kwargs: actor (User), user_id (int), role (str). Their sockets leave
#: the shipment's room once the removal commits.
participant_removed = _signals.signal("participant-removed")

#: sender: the User (active, with a password); kwargs: link (str, the signed reset link),
#: hours (int, how long it works).
password_reset_requested = _signals.signal("password-reset-requested")

#: sender: the User whose access ends; kwargs: token_id (int | None: that token's sockets only),
#: sessions (bool: the sockets of their browser sessions), everything (bool: every socket of
#: theirs). Sent inside the transaction that revoked the token, bumped the session generation
#: or deactivated the user; the sockets are disconnected on every server once it commits.
access_ended = _signals.signal("access-ended")
