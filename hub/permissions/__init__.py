"""The one place that answers "may this user do this": pure rules (`rules`) and the queries
that load their facts (`facts`). Areas import from here."""

from hub.permissions.facts import (
    Access,
    authorize,
    authorize_on,
    can,
    find_invitable_organization,
    find_visible_user,
    get_shipment_for,
    is_owner_staff,
    is_visible_user,
    owner_and_role,
    participant_role,
    signed_in_user_authorized_on,
    visible_organizations,
    visible_shipments,
    visible_user_ids,
)
from hub.permissions.rules import (
    Action,
    check_change_message,
    check_review_upload,
    check_withdraw_document,
    is_admin,
    may_create_shipments,
    require_admin,
    require_staff,
    sees_nav_item,
)

#: The name the pages have always used.
can_create_shipments = may_create_shipments

__all__ = [
    "Access", "Action", "authorize", "authorize_on", "can", "can_create_shipments", "check_change_message",
    "check_review_upload", "check_withdraw_document", "find_invitable_organization",
    "find_visible_user", "is_visible_user", "get_shipment_for", "is_admin", "is_owner_staff",
    "may_create_shipments", "owner_and_role", "participant_role", "require_admin", "require_staff",
    "sees_nav_item", "signed_in_user_authorized_on", "visible_organizations", "visible_shipments", "visible_user_ids",
]
