"""Every write of the tickets app. Each service is its own transaction, opens the scope of the ticket's
organization, and writes a TicketEvent for every change it makes, in the same transaction.

Row locks are always taken in one order: tickets (by id), then the organization's ticket counter, then agent
loads. Channel ingestion and forms call `ticket_open` and `ticket_add_message`.
"""

from tickets.services.assignment import agent_load_recount, ticket_assign, ticket_take_next
from tickets.services.attachments import comment_attach
from tickets.services.delivery import ticket_reply_retry
from tickets.services.details import ticket_update_details
from tickets.services.external import ticket_external_change
from tickets.services.intake import ticket_log
from tickets.services.lifecycle import (
    InboundMessage,
    conversations_rename,
    reply_window_refusal,
    ticket_add_message,
    ticket_add_messages,
    ticket_change_status,
    ticket_merge,
    ticket_open,
    ticket_reply,
    ticket_set_priority,
    ticket_split,
    ticket_transfer,
)
from tickets.services.satisfaction import survey_answer
from tickets.services.workspace import CANNED_VARIABLES, canned_response_render, ticket_tags_add

__all__ = [
    "CANNED_VARIABLES", "InboundMessage", "agent_load_recount", "canned_response_render", "comment_attach",
    "conversations_rename", "reply_window_refusal", "survey_answer", "ticket_add_message", "ticket_add_messages",
    "ticket_assign", "ticket_change_status", "ticket_external_change", "ticket_log", "ticket_merge", "ticket_open",
    "ticket_reply", "ticket_reply_retry", "ticket_set_priority", "ticket_split", "ticket_tags_add",
    "ticket_take_next", "ticket_transfer", "ticket_update_details",
]
