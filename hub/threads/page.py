"""What the shipment page's thread panel needs to start: the latest messages, the people
(for mentions and read receipts) and the caller's read state."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from hub.accounts.models import User
from hub.permissions import Action, can
from hub.shipments.models import Shipment
from hub.threads import services

#: Messages rendered with the page; earlier ones load on demand through the REST list.
PAGE_MESSAGES = 50


def thread_page_context(user: User, shipment: Shipment) -> dict[str, Any]:
    """The JSON the panel's script boots from."""
    messages, more = services.list_messages(shipment, limit=PAGE_MESSAGES)
    me = shipment.participant(user)
    return {
        "shipment_id": shipment.id,
        "me": {"id": user.id, "name": user.name},
        "can_post": can(user, Action.POST_MESSAGE, shipment),
        "messages": [m.to_dict() for m in messages],
        "more": more,
        "last_seq": shipment.last_seq,
        "last_read_seq": me.last_read_seq if me is not None else shipment.last_seq,
        "people": [
            {
                "id": p.user_id,
                "name": p.user.name,
                "handle": p.user.email.split("@", 1)[0],
                "organization": p.user.organization.name,
                "last_read_seq": p.last_read_seq,
            }
            for p in shipment.participants
        ],
        "max_chars": current_app.config["MESSAGE_MAX_CHARS"],
        "messages_url": url_for("threads_api.list_messages", shipment_id=shipment.id),
        # Edits and deletions of one's own messages: the window, and the message URL ending in
        # /0, where the script puts the message id.
        "edit_window_s": current_app.config["MESSAGE_EDIT_WINDOW_S"],
        "message_url": url_for("threads_api.edit_message", message_id=0),
    }
