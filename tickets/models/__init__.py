"""The tickets app's tables, one module per area; import them from `tickets.models`."""

from tickets.models.attachments import Attachment
from tickets.models.canned import CannedResponse
from tickets.models.core import (
    ACTIVE_STATUSES,
    POOL_STATUSES,
    AgentLoad,
    Comment,
    Queue,
    QueueMembership,
    RoutingRule,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketTag,
    TicketType,
    TicketWatcher,
)
from tickets.models.forms import TicketFieldAnswers, TicketTypeForm
from tickets.models.satisfaction import SatisfactionSurvey

__all__ = [
    "ACTIVE_STATUSES",
    "POOL_STATUSES",
    "AgentLoad",
    "Attachment",
    "CannedResponse",
    "Comment",
    "Queue",
    "QueueMembership",
    "RoutingRule",
    "SatisfactionSurvey",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "TicketFieldAnswers",
    "TicketTag",
    "TicketType",
    "TicketTypeForm",
    "TicketWatcher",
]
