"""Imports every area's models so the ORM mappers and Alembic see the whole schema."""

import hub.countries.models  # noqa: F401
import hub.documents.models  # noqa: F401
import hub.handovers.models  # noqa: F401
import hub.inbound.models  # noqa: F401
import hub.milestones.models  # noqa: F401
import hub.notifications.models  # noqa: F401
import hub.risks.models  # noqa: F401
from hub.accounts.models import ApiToken, Organization, User
from hub.audit.models import AuditLog
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.threads.models import Message, MessageMention, MessageRevision

__all__ = [
    "ApiToken",
    "AuditLog",
    "Message",
    "MessageMention",
    "MessageRevision",
    "Organization",
    "Shipment",
    "ShipmentParticipant",
    "User",
]
