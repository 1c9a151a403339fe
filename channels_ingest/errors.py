"""The channels app's domain error and the messages tests import."""

from django.utils.translation import gettext_lazy as _

from scrm.platform.coded import coded_messages_register

MSG_SLUG_TAKEN = _("The slug %(slug)s is already used by another channel account.")
MSG_AES_KEY = _("The EncodingAESKey must be 43 characters (letters and digits) as WeChat shows it.")
MSG_TOKEN = _("The token must be 3 to 32 letters or digits.")
MSG_APP_ID = _("The app id / corp id is required.")
MSG_APP_TAKEN = _("The app id / corp id %(app_id)s is already set up as another channel account of this kind.")
MSG_KIND = _("Unknown channel kind %(kind)s.")
MSG_NOT_REPLAYABLE = _("Only failed or dead events can be replayed.")
MSG_REPLY_NOT_REPLAYABLE = _("Only failed or dead replies can be sent again.")
MSG_NO_SENDER = _("The callback names no sender (FromUserName).")
MSG_SHOP_SECRET = _("A store needs the secret its callbacks are signed with (at least 8 characters).")
MSG_NO_SECRET = _("The account has no app secret: set it to call WeChat's API.")
MSG_ACCOUNT_ADDED = _("Added %(slug)s (%(kind)s); its callback path is %(path)s")

# What a worker records in the product's words (scrm.platform.coded), worded on the account's page for its reader.
coded_messages_register({"channels_ingest.no_secret": MSG_NO_SECRET})


class ChannelError(Exception):
    pass
