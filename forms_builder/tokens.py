"""Signed links of the public pages (django.core.signing under SECRET_KEY, each purpose its own salt):

- identity: `?wx=<token>` on a form link sent to a known customer (a WeChat reply): the submission is linked to that
  customer. Made only by our code; an invalid, expired or tampered token is ignored (the form works as for anyone).
- edit: the link a customer gets after sending, to change their answers while the form allows it (`Form.edit_days`).
- reference: `?ref=<token>` on the thanks page, naming the submission whose number the page shows (the ticket's
  受理编号, else the submission's reference). It never expires (it shows a number, nothing else), and anything that
  does not verify shows nothing: changing a number in the address reads no one's submission.

A token names the organization, so a token of one organization never opens a row of another.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

IDENTITY_SALT = "forms_builder.identity"
EDIT_SALT = "forms_builder.submission-edit"
REFERENCE_SALT = "forms_builder.submission-reference"
IDENTITY_PARAM = "wx"
REFERENCE_PARAM = "ref"


def identity_token(*, form, customer):
    return signing.dumps({"o": form.organization_id, "f": form.pk, "c": customer.pk}, salt=IDENTITY_SALT,
                         compress=True)


def identity_customer_id(token, *, form):
    """The customer id an identity token names for `form`, or None (absent, expired, tampered, another form)."""
    if not token:
        return None
    days = settings.FORMS_IDENTITY_MAX_AGE_DAYS
    try:
        claims = signing.loads(token, salt=IDENTITY_SALT, max_age=timedelta(days=days))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(claims, dict) or claims.get("o") != form.organization_id or claims.get("f") != form.pk:
        return None
    customer_id = claims.get("c")
    return customer_id if isinstance(customer_id, int) else None


class _SignedAt(signing.TimestampSigner):
    """A TimestampSigner whose time is a given moment rather than now: a token signed at a row's creation is the
    same string however often it is made again."""

    def __init__(self, *, at, **kwargs):
        super().__init__(**kwargs)
        self.at = at

    def timestamp(self):
        return signing.b62_encode(int(self.at.timestamp()))


def edit_token(submission):
    """One link per submission (signed at its creation, as signing.dumps would have signed it then): a second
    send of the same page is thanked with the same link as the first, and the link's age is the submission's."""
    return _SignedAt(at=submission.created_at, salt=EDIT_SALT).sign_object(
        {"o": submission.organization_id, "s": submission.pk})


def edit_deadline(submission, form):
    """Until when the customer may still change the submission (None: never)."""
    if not form.edit_days:
        return None
    return submission.created_at + timedelta(days=form.edit_days)


def edit_submission_id(token, *, form):
    """The id of the submission an edit token names, while `form` still lets customers edit (its current number
    of days counts, so turning editing off kills every link). None otherwise."""
    if not token or not form.edit_days:
        return None
    try:
        claims = signing.loads(token, salt=EDIT_SALT, max_age=timedelta(days=form.edit_days))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(claims, dict) or claims.get("o") != form.organization_id:
        return None
    submission_id = claims.get("s")
    return submission_id if isinstance(submission_id, int) else None


def edit_open(submission, form):
    deadline = edit_deadline(submission, form)
    return deadline is not None and timezone.now() < deadline


def reference_token(submission):
    """The same string for the same submission (no timestamp): a page sent twice is thanked at one address."""
    return signing.Signer(salt=REFERENCE_SALT).sign_object(
        {"o": submission.organization_id, "f": submission.form_id, "s": submission.pk})


def reference_submission_id(token, *, form):
    """The id of the submission of `form` a reference token names, or None (absent, tampered, another form)."""
    if not token:
        return None
    try:
        claims = signing.Signer(salt=REFERENCE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(claims, dict) or claims.get("o") != form.organization_id or claims.get("f") != form.pk:
        return None
    submission_id = claims.get("s")
    return submission_id if isinstance(submission_id, int) else None
