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
MSG_INTERNAL_NEEDS_QUEUE = _("A ticket with no customer is an internal one: choose the queue of the team that must "
                             "handle it.")
MSG_NO_CUSTOMER = _("Ticket %(number)s is an internal ticket: it has no customer to send this to. Write an internal "
                    "note instead.")
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
MSG_ATTACHMENT_TOO_BIG = _("“%(name)s” is larger than %(limit)s, the limit for an attachment.")
MSG_ATTACHMENT_EMPTY = _("“%(name)s” is empty.")
MSG_ATTACHMENT_TYPE = _(
    "“%(name)s” is not a file type that can be attached: images, PDF, Office documents, text, audio and video only."
)
MSG_ATTACHMENT_TOO_MANY = _("At most %(limit)s files can be attached to one message.")
MSG_RATING_RANGE = _("Choose a rating from 1 to 5.")
MSG_SURVEY_ANSWERED = _("This ticket has already been rated. Thank you!")
MSG_SURVEY_EXPIRED = _("This rating link has expired.")
MSG_SUBJECT_EMPTY = _("A ticket needs a subject.")
MSG_NOTHING_CHANGED = _("Nothing was changed.")
MSG_ASSIGNEE_NOT_FOUND = _("There is no active colleague with that id.")
# The API's refusal of a colleague the ticket page's 指派 does not offer (no agent profile).
MSG_ASSIGNEE_NOT_AGENT = _("Tickets are given to agents only: this colleague has no agent profile.")
MSG_CUSTOMER_NOT_VISIBLE = _("That customer does not exist or is outside your regions.")
MSG_TAGS_ALREADY = _("Ticket %(number)s already has these tags.")

# The agent workspace's messages.
MSG_TAKEN = _("Ticket %(number)s is yours now.")
MSG_BULK_NONE_SELECTED = _("Select at least one ticket.")
MSG_BULK_DONE = _("%(changed)s of %(selected)s tickets changed.")
MSG_BULK_REFUSED = _("%(number)s: %(reason)s")
MSG_BULK_NOT_VISIBLE = _("%(count)s of the selected tickets are not in your queues.")
MSG_BULK_NEEDS = _("Choose what to apply: %(field)s.")
MSG_NOT_ALLOWED = _("Your role may not do that.")
MSG_REPLIED = _("Reply queued for sending; its delivery shows under it.")
MSG_REPLY_NOT_SENT = _("Reply recorded on the ticket. Nothing is sent: a %(channel)s ticket has no channel to "
                       "the customer; call or write to them yourself.")
MSG_REPLY_WINDOW_CLOSED = _("WeChat only accepts replies within %(hours)s hours of the customer's last message "
                            "(%(last)s); this one cannot be sent. Writing first needs a WeChat template message "
                            "approved for the account, which is not set up here: call the customer, or add an "
                            "internal note.")
MSG_REPLY_WINDOW_CLOSED_SMS = _("WeChat only accepts replies within %(hours)s hours of the customer's last "
                                "message (%(last)s); this one cannot be sent. Send the customer an SMS below, or call "
                                "them (writing on WeChat first needs an approved template message).")
MSG_REPLY_WINDOW_CLOSED_TEMPLATE = _("WeChat only accepts replies within %(hours)s hours of the customer's last "
                                     "message (%(last)s); this one cannot be sent. Send a WeChat template message "
                                     "below, or an SMS where offered, or call them.")
MSG_SMS_UNAVAILABLE = _("No SMS account is configured: ask an ops admin to set one under Settings → Notification "
                        "channels.")
MSG_SMS_NO_MOBILE = _("The customer has no mobile number to send an SMS to.")
MSG_SMS_TOO_LONG = _("An SMS carries at most %(limit)s characters; this one has %(count)s.")
MSG_RETRY_QUEUED = _("The reply is queued to be sent again.")
MSG_RETRY_NOT_FAILED = _("Only a reply whose delivery failed can be sent again.")
MSG_NOTE_ADDED = _("Internal note added.")
MSG_STATUS_CHANGED = _("Status changed to “%(status)s”.")
MSG_PRIORITY_CHANGED = _("Priority changed to %(priority)s.")
MSG_ASSIGNED = _("Ticket %(number)s assigned to %(user)s.")
MSG_ASSIGNED_OVER_CAPACITY = _("%(user)s now holds %(held)s open tickets, over their limit of %(cap)s.")
MSG_ASSIGNED_NOT_ONLINE = _("%(user)s is not online (%(status)s): the ticket waits until they are back or you "
                            "give it to someone else.")
MSG_UNASSIGNED = _("Ticket %(number)s is back in its queue's pool.")
MSG_TRANSFERRED = _("Ticket transferred to queue “%(queue)s”.")
MSG_MERGED_INTO = _("Ticket %(duplicate)s was merged into %(primary)s.")
MSG_MERGE_TARGET_UNKNOWN = _("No ticket %(number)s that you may see.")
MSG_MERGE_CONFIRM = _("Merge %(duplicate)s into %(primary)s “%(subject)s”? Its messages move there and "
                      "%(duplicate)s is closed: this cannot be undone.")
MSG_SPLIT_DONE = _("The selected messages are now ticket %(number)s.")
MSG_SPLIT_NONE = _("Select the messages to split off.")
MSG_MOBILE_TAKEN = _("%(name)s already has the mobile %(mobile)s: choose them as the customer instead.")
MSG_CUSTOMER_NEEDED = _("Choose the customer, or give a new customer's name.")
MSG_CREATED = _("Ticket %(number)s opened.")
MSG_ASSIGN_TO_ME_NOT_IN_QUEUE = _("You are not an agent of queue “%(queue)s”, so the ticket cannot be assigned to you: "
                                  "choose one of your queues, or untick “Assign to me” and let the queue's team "
                                  "take it. Nothing was saved.")
MSG_ASSIGN_TO_ME_NOT_AGENT = _("Only those who work tickets can assign a new ticket to themselves.")
MSG_TEMPLATE_UNKNOWN = _("This template message is not available for the ticket's WeChat account.")
MSG_TEMPLATE_NEEDS_TEXT = _("This template message carries your own words: write them first.")
