"""The forms domain error and its messages (views show them; tests import them)."""

from django.utils.translation import gettext_lazy as _


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
MSG_SUBMISSION_INVALID = _("Some answers need your attention.")
MSG_RATE_LIMITED = _("Too many submissions from your network; please try again in a few minutes.")
MSG_OTHER_ORGANIZATION = _("That belongs to another organization.")
MSG_PUBLISHED = _("Version %(number)s of “%(name)s” is published.")
MSG_DRAFT_SAVED = _("Draft saved.")
MSG_CREATED = _("Form “%(name)s” created.")
MSG_NOT_ALLOWED = _("You may not change forms.")
MSG_NOTHING_CHANGED = _("Nothing was changed.")
MSG_SUBMISSION_SAVED = _("The answers are saved.")
MSG_EDIT_CLOSED = _("This link can no longer be used to change the answers.")
MSG_WEBHOOK_SECRET = _("A webhook needs a secret of at least %(min)s characters.")
MSG_SETTINGS_SAVED = _("Settings saved.")
MSG_CAPTCHA_WRONG = _("The characters in the picture were not typed correctly; please try again.")
MSG_REPLAYED = _("The delivery is queued again.")
