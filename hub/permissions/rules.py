"""The rules of who may do what, as pure functions of facts already loaded (no queries here:
`hub.permissions.facts` loads the facts and asks these rules).

Staff (admin, coordinator) of the owner organization may do everything to its shipments.
Partners see only shipments they take part in; an observer only reads. A shipment the user may
not see is reported as not found, never forbidden.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from hub.errors import N_, Forbidden, NotFound


class Action(Enum):
    """What a user may try to do to a shipment."""

    VIEW = "view"
    POST_MESSAGE = "post_message"
    RECORD_MILESTONE = "record_milestone"
    UPLOAD_DOCUMENT = "upload_document"
    REQUEST_DOCUMENT = "request_document"
    REVIEW_DOCUMENT = "review_document"
    EDIT_SHIPMENT = "edit_shipment"
    MANAGE_PARTICIPANTS = "manage_participants"
    #: Raise, reassign and resolve risk flags; turn thread messages into facts.
    MANAGE_RISKS = "manage_risks"


class Person(Protocol):
    """What the rules read of a user (a `User` or a `SignedInUser`)."""

    id: int
    role: str
    organization_id: int

    @property
    def is_active(self) -> bool: ...  # noqa: D102

    @property
    def is_staff(self) -> bool: ...  # noqa: D102


# Participant roles allowed each action; staff of the owner may do all of them.
_ROLES_FOR: dict[Action, frozenset[str]] = {
    Action.VIEW: frozenset({"coordinator", "agent", "broker", "forwarder", "observer"}),
    Action.POST_MESSAGE: frozenset({"coordinator", "agent", "broker", "forwarder"}),
    Action.RECORD_MILESTONE: frozenset({"coordinator", "agent", "broker", "forwarder"}),
    Action.UPLOAD_DOCUMENT: frozenset({"coordinator", "agent", "broker", "forwarder"}),
    Action.REQUEST_DOCUMENT: frozenset({"coordinator", "agent", "broker"}),
    Action.REVIEW_DOCUMENT: frozenset({"coordinator", "agent", "broker"}),
    Action.EDIT_SHIPMENT: frozenset(),
    Action.MANAGE_PARTICIPANTS: frozenset(),
    Action.MANAGE_RISKS: frozenset(),
}

_FORBIDDEN: dict[Action, str] = {
    Action.POST_MESSAGE: N_("Observers read the thread but may not post."),
    Action.RECORD_MILESTONE: N_("You may not record milestones on this shipment."),
    Action.UPLOAD_DOCUMENT: N_("You may not upload documents to this shipment."),
    Action.REQUEST_DOCUMENT: N_("You may not request documents on this shipment."),
    Action.REVIEW_DOCUMENT: N_("You may not review documents on this shipment."),
    Action.EDIT_SHIPMENT: N_("Only the owner's coordinators may edit this shipment."),
    Action.MANAGE_PARTICIPANTS: N_("Only the owner's coordinators may manage participants."),
    Action.MANAGE_RISKS: N_("Only the owner's coordinators may raise, reassign or resolve risk flags."),
}


def signed_in(user: Any) -> bool:
    """An authenticated, active user."""
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def is_staff_of(user: Person, owner_org_id: int) -> bool:
    """Admin or coordinator of the organization that owns a shipment."""
    return user.is_active and user.is_staff and user.organization_id == owner_org_id


def allows(user: Person, owner_org_id: int, role: str | None, action: Action) -> bool:
    """Whether the rule lets `user` (of `role` on the shipment, or None) do `action`."""
    if not signed_in(user):
        return False
    return is_staff_of(user, owner_org_id) or (role is not None and role in _ROLES_FOR[action])


def decide(user: Person, owner_org_id: int, role: Any, action: Action) -> None:
    """Raise NotFound when the user may not see the shipment, Forbidden when they may not act.

    `role`: the user's participant role, or a function answering it (asked only for
    non-staff, so staff cost no query)."""
    if not signed_in(user):
        raise NotFound(N_("Shipment not found."))
    if is_staff_of(user, owner_org_id):
        return
    role = role() if callable(role) else role
    # One lookup of the role decides both questions (VIEW first, then `action`).
    if role is None or role not in _ROLES_FOR[Action.VIEW]:
        raise NotFound(N_("Shipment not found."))
    if role not in _ROLES_FOR[action]:
        raise Forbidden(_FORBIDDEN.get(action, N_("You may not do this.")))


def may_create_shipments(user: Any) -> bool:
    """Only staff of a shipper create shipments."""
    return bool(signed_in(user) and user.is_staff)


def require_staff(user: Any) -> None:
    """Raise Forbidden unless the user is staff (admin or coordinator)."""
    if not may_create_shipments(user):
        raise Forbidden(N_("Only coordinators and admins may do this."))


def is_admin(user: Any) -> bool:
    """An active admin."""
    return bool(signed_in(user) and user.role == "admin")


def require_admin(user: Any) -> None:
    """Raise Forbidden unless the user is an admin."""
    if not is_admin(user):
        raise Forbidden(N_("Only admins may do this."))


def sees_nav_item(user: Any, who: str) -> bool:
    """Whether a top-bar link meant for `who` ("all", "staff", "admin") shows to the user."""
    if who == "staff":
        return bool(user.is_staff)
    if who == "admin":
        return user.role == "admin"
    return True


def check_change_message(user: Person, *, author_id: int | None, kind: str, deleted: bool, created_at: datetime,
                         now: datetime, window_s: int, may_post: bool, verb: str) -> None:
    """Who may edit or delete a message (the caller has checked the thread is visible):
    its author, a text message not deleted, within the edit window, still allowed to post."""
    if author_id != user.id or kind != "text":
        raise Forbidden(N_("Only the author may delete a message.") if verb == "delete"
                        else N_("Only the author may edit a message."))
    if deleted:
        raise Forbidden(N_("This message was deleted."))
    if now - created_at > timedelta(seconds=window_s):
        raise Forbidden(N_("Messages can be changed only within %(minutes)s minutes of sending."),
                        params={"minutes": window_s // 60})
    if not may_post:
        raise Forbidden(_FORBIDDEN[Action.POST_MESSAGE])  # observers change nothing


def check_withdraw_document(user: Person, owner_org_id: int, role: str | None, *, uploaded_by_id: int | None) -> None:
    """The uploader (while still allowed to upload) or the owner's staff withdraw a document."""
    uploader = uploaded_by_id == user.id and allows(user, owner_org_id, role, Action.UPLOAD_DOCUMENT)
    if not (uploader or is_staff_of(user, owner_org_id)):
        raise Forbidden(N_("Only the uploader or the owner's coordinators may withdraw this document."))


def check_review_upload(user: Person, *, uploaded_by_id: int | None) -> None:
    """Nobody reviews their own upload."""
    if uploaded_by_id == user.id:
        raise Forbidden(N_("You may not review your own upload."))
