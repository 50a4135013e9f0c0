"""Imports every model so the ORM mappers and Alembic see the whole schema."""

from hub.accounts.models import ApiToken, Organization, User
from hub.audit.models import AuditLog
from hub.notifications.models import OutboxEmail
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.threads.models import Message, MessageMention, MessageRevision

__all__ = [
    "ApiToken",
    "AuditLog",
    "Message",
    "MessageMention",
    "MessageRevision",
    "Organization",
    "OutboxEmail",
    "Shipment",
    "ShipmentParticipant",
    "User",
]
