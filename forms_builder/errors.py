"""The forms domain error and its messages (views show them; tests import them)."""

from django.utils.translation import gettext_lazy as _

from scrm.platform.coded import coded_messages_register


class FormError(Exception):
    """A rule of the forms domain was broken; nothing was changed and the message is safe to show.

    `problems`: [(path, message)] for a schema (the path of each problem, e.g. "sections/0/fields/2/options"), or
    {field key: [messages]} for a submission."""

    def __init__(self, message, *, problems=None):
        super().__init__(str(message))
        self.problems = problems if problems is not None else []


MSG_SLUG_TAKEN = _("Another form already uses the address “%(slug)s”.")
MSG_NOTHING_TO_PUBLISH = _("The form has no field yet: add one before publishing.")
MSG_NOT_PUBLISHED = _("This form is not published.")
MSG_FORM_CLOSED = _("This form no longer takes answers.")
MSG_FIELDS_FORM_NOT_SUBMITTED = _("This form holds the custom fields of a ticket type: fill them in on the ticket, "
                                  "not as a submission of their own.")
MSG_SUBMISSION_INVALID = _("Some answers need your attention.")
MSG_RATE_LIMITED = _("Too many submissions from your network; please try again in a few minutes.")
MSG_OTHER_ORGANIZATION = _("That belongs to another organization.")
MSG_PUBLISHED = _("Version %(number)s of “%(name)s” is published.")
MSG_DRAFT_SAVED = _("Draft saved.")
MSG_CREATED = _("Form “%(name)s” created.")
MSG_NOT_ALLOWED = _("You may not change forms.")
MSG_NOTHING_CHANGED = _("Nothing was changed.")
MSG_SUBMISSION_SAVED = _("The answers are saved.")
MSG_FORM_PAUSED = _("This form cannot take answers at the moment. Please try again later or contact the company "
                    "another way.")
MSG_EDIT_CLOSED = _("This link can no longer be used to change the answers.")
MSG_WEBHOOK_SECRET = _("A webhook needs a secret of at least %(min)s characters.")
MSG_SETTINGS_SAVED = _("Settings saved.")
# A refused page cannot hand a file back to the browser: the customer is told to choose it again, beside its field.
MSG_FILE_AGAIN = _("“%(name)s” was not kept because other answers need changing: please choose it again.")
# The thanks page's number to quote: the ticket the submission opened, else the submission's own (staff's "#").
MSG_CASE_NUMBER = _("Your case number: %(number)s")
MSG_SUBMISSION_REFERENCE = _("Your submission reference: %(reference)s")
# The thanks page's line when the form sets none: what will really happen next. Only a submission that opened a
# ticket (an intake form) is followed up by someone; a survey's answers are only recorded.
MSG_THANKS_FOLLOW_UP = _("We have received your answers and will get back to you soon.")
MSG_THANKS_RECORDED = _("Your answers have been recorded. Thank you for your time.")
# The API's `Idempotency-Key` header is stored as the submission's one-time key (FormSubmission.submit_key).
MSG_IDEMPOTENCY_KEY_INVALID = _("The Idempotency-Key header must be at most %(max)s characters, each a visible ASCII "
                                "character (letters, digits, punctuation), such as a UUID.")
MSG_CAPTCHA_WRONG = _("The characters in the picture were not typed correctly; please try again.")
MSG_REPLAYED = _("The delivery is queued again.")
# Publishing with a field mapping (forms_builder.keymap).
MSG_KEY_MAP_SHAPE = _("The field mapping is not understood.")
MSG_NO_PREVIOUS = _("This is the first version: there are no earlier answers to map.")
MSG_OLD_KEY_UNKNOWN = _("“%(key)s” is not a field of the published version.")
MSG_NEW_KEY_UNKNOWN = _("“%(key)s” is not a field of the new version.")
MSG_OLD_KEY_KEPT = _("“%(key)s” is still a field of the new version: it cannot be renamed.")
MSG_NEW_KEY_EXISTED = _("“%(key)s” is already a field of the published version: it cannot be a new name.")
MSG_NOT_ONE_TO_ONE = _("“%(key)s” is the new name of more than one field: map each old field to its own new field.")
MSG_NOT_RETYPED = _("“%(key)s” keeps its type: there is nothing to convert.")
MSG_UNSAFE_CONVERSION = _("The answers of “%(key)s” cannot be converted from %(from)s to %(to)s without losing "
                          "data: keep them as they are.")
MSG_MONEY_LOSS = _("“%(key)s” has earlier answers with more than two decimals (e.g. %(value)s): as money they would "
                   "be rounded. Keep them as they are.")

# Why a webhook delivery failed, in the product's words: the worker records them as codes (scrm.platform.coded)
# and the form's page words them in the reader's language. What the outside world said (the receiver's status,
# the network library's error) is a parameter, redacted like any stored error.
MSG_WEBHOOK_NO_URL = _("The form no longer has a webhook URL.")
MSG_WEBHOOK_HTTP = _("The receiver %(origin)s answered HTTP %(status)s.")
MSG_WEBHOOK_UNREACHABLE = _("The receiver could not be reached: %(error)s")
MSG_WEBHOOK_CONNECTION_REFUSED = _("Refused: the connection reached an address that may not be called: %(error)s")

WEBHOOK_ERRORS = coded_messages_register({
    "forms_builder.webhook_no_url": MSG_WEBHOOK_NO_URL,
    "forms_builder.webhook_http": MSG_WEBHOOK_HTTP,
    "forms_builder.webhook_unreachable": MSG_WEBHOOK_UNREACHABLE,
    "forms_builder.webhook_connection_refused": MSG_WEBHOOK_CONNECTION_REFUSED,
})
