"""The notifications domain error and its messages (views show them; tests import them)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from scrm.platform.coded import coded_messages_register


class NotificationError(Exception):
    """A rule of notifications was broken; nothing was changed and the message is safe to show."""


MSG_NOTIFY_OTHER_ORG = _("A notification can only go to someone of the ticket's organization.")
MSG_NOTIFICATION_NOT_YOURS = _("That notification is not yours.")
MSG_TEST_NO_ADDRESS = _("There is nowhere to send the test on this channel: type an address.")
MSG_TEST_UNKNOWN_CHANNEL = _("Unknown channel.")
MSG_TICKET_OUT_OF_REACH = _("Ticket %(number)s is no longer one you can open (it has moved to a queue that is not "
                            "yours, or you no longer hold the role).")
MSG_PREFERENCES_NO_ORGANIZATION = _("Notifications go to the users of an organization: your account belongs to none, "
                                    "so there is nothing to choose.")
MSG_PREFERENCE_KIND_NOT_OFFERED = _("“%(kind)s” is not a notification sent to you: reload the page and choose again.")
MSG_ALL_READ = ngettext_lazy("%(count)s notification marked read.", "%(count)s notifications marked read.", "count")

# Why a delivery failed, in the product's words: a worker records them as codes (scrm.platform.coded) and the pages
# word them in the reader's language. A provider's own text (WeCom's errmsg, Aliyun's Message, the mail server's
# answer) is a parameter, kept as it came.
MSG_WECOM_NOT_CONFIGURED = _("WeCom is not configured")
MSG_WECOM_REFUSED_USER = _("WeCom refused user %(user)s: %(detail)s")
MSG_WECOM_NO_USER = _("WeCom has no user %(user)s")
MSG_WECOM_ANSWER = _("WeCom %(detail)s")
MSG_SMS_NOT_CONFIGURED = _("No SMS provider is configured")
MSG_SMS_BAD_ENDPOINT = _("The SMS endpoint %(endpoint)s is not an http(s) address")
MSG_ALIYUN_NOT_JSON = _("Aliyun SMS HTTP %(status)s: the answer is not Aliyun's JSON")
MSG_ALIYUN_NO_CODE = _("Aliyun SMS HTTP %(status)s: no Code in the answer")
MSG_ALIYUN_REFUSED = _("Aliyun SMS %(code)s: %(detail)s")
MSG_MAIL_REFUSED = _("The mail server refused %(address)s: %(code)s %(detail)s")

DELIVERY_ERRORS = coded_messages_register({
    "notifications.wecom_not_configured": MSG_WECOM_NOT_CONFIGURED,
    "notifications.wecom_refused_user": MSG_WECOM_REFUSED_USER,
    "notifications.wecom_no_user": MSG_WECOM_NO_USER,
    "notifications.wecom_answer": MSG_WECOM_ANSWER,
    "notifications.sms_not_configured": MSG_SMS_NOT_CONFIGURED,
    "notifications.sms_bad_endpoint": MSG_SMS_BAD_ENDPOINT,
    "notifications.aliyun_not_json": MSG_ALIYUN_NOT_JSON,
    "notifications.aliyun_no_code": MSG_ALIYUN_NO_CODE,
    "notifications.aliyun_refused": MSG_ALIYUN_REFUSED,
    "notifications.mail_refused": MSG_MAIL_REFUSED,
})
