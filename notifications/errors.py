"""The notifications domain error and its messages (views show them; tests import them)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy


class NotificationError(Exception):
    """A rule of notifications was broken; nothing was changed and the message is safe to show."""


MSG_NOTIFY_OTHER_ORG = _("A notification can only go to someone of the ticket's organization.")
MSG_NOTIFICATION_NOT_YOURS = _("That notification is not yours.")
MSG_TEST_NO_ADDRESS = _("There is nowhere to send the test on this channel: type an address.")
MSG_TEST_UNKNOWN_CHANNEL = _("Unknown channel.")
MSG_TICKET_OUT_OF_REACH = _("Ticket %(number)s is no longer one you can open (it has moved to a queue that is not "
                            "yours, or you no longer hold the role).")
MSG_ALL_READ = ngettext_lazy("%(count)s notification marked read.", "%(count)s notifications marked read.", "count")
