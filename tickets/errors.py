"""The tickets domain error and its messages (views show them; tests import them)."""

from django.utils.translation import gettext_lazy as _


class TicketError(Exception):
    """A rule of the tickets domain was broken; nothing was changed and the message is safe to show."""


MSG_ILLEGAL_STATUS = _("A ticket cannot go from “%(before)s” to “%(after)s”.")
MSG_SAME_STATUS = _("The ticket is already “%(status)s”.")
MSG_CLOSED = _("Ticket %(number)s is closed and can no longer be changed.")
MSG_REPLY_CLOSED = _("Ticket %(number)s is closed: a reply cannot be added. Open a new ticket instead.")
MSG_EMPTY_BODY = _("A reply needs some text.")
MSG_OTHER_ORGANIZATION = _("That belongs to another organization.")
MSG_TRANSFER_OTHER_ORG = _("A ticket cannot be transferred to a queue of another organization.")
MSG_TRANSFER_SAME_QUEUE = _("The ticket is already in queue “%(queue)s”.")
MSG_TRANSFER_REASON = _("Say why the ticket is transferred.")
MSG_MERGE_SELF = _("A ticket cannot be merged into itself.")
MSG_MERGE_OTHER_CUSTOMER = _("Only tickets of the same customer can be merged; merge the customers first.")
MSG_MERGE_CLOSED = _("Ticket %(number)s is closed: closed tickets cannot be merged.")
MSG_SPLIT_FOREIGN_COMMENT = _("Only comments of ticket %(number)s can be split off it.")
MSG_SPLIT_SUBJECT = _("The new ticket needs a subject.")
MSG_ASSIGNEE_OTHER_ORG = _("A ticket can only be assigned to someone of the same organization.")
MSG_NOT_AN_AGENT = _("%(user)s has no agent profile, so cannot take tickets.")
MSG_AT_CAPACITY = _("You already hold %(count)s open tickets, your limit: resolve some before taking more.")
MSG_NOTHING_TO_TAKE = _("No ticket is waiting in your queues.")
MSG_SAME_PRIORITY = _("The ticket already has priority %(priority)s.")
MSG_NOTIFY_OTHER_ORG = _("A notification can only go to someone of the ticket's organization.")
MSG_NOTIFICATION_NOT_YOURS = _("That notification is not yours.")
MSG_ATTACHMENT_TOO_BIG = _("“%(name)s” is larger than %(limit)s, the limit for an attachment.")
MSG_ATTACHMENT_EMPTY = _("“%(name)s” is empty.")
MSG_ATTACHMENT_TYPE = _(
    "“%(name)s” is not a file type that can be attached: images, PDF, Office documents, text, audio and video only."
)
MSG_ATTACHMENT_TOO_MANY = _("At most %(limit)s files can be attached to one message.")
