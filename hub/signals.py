"""Domain signals, sent inside the writing transaction so subscribers (such as the email
outbox) add their rows atomically with the change that caused them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender: the Message just added (flushed, not yet committed).
message_posted = _signals.signal("message-posted")
