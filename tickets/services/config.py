"""The ticket settings ops change in the product (canned responses so far): validated, saved and written to the
settings audit trail in one transaction."""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from scrm.models import SettingsChange
from scrm.platform.audit import settings_change_record
from scrm.platform.tenancy import tenant_scope
from tickets.models import CannedResponse
from tickets.services.workspace import CANNED_VARIABLES

MSG_CANNED_UNKNOWN_VARIABLE = gettext_lazy("Unknown variable %(names)s: the variables are %(known)s.")
MSG_CANNED_TITLE_TAKEN = gettext_lazy("A canned response is already called “%(title)s”.")
_BRACED = re.compile(r"\{(\w+)\}")


def canned_variables_check(body):
    unknown = sorted({name for name in _BRACED.findall(body or "") if name not in CANNED_VARIABLES})
    if unknown:
        raise ValidationError({"body": MSG_CANNED_UNKNOWN_VARIABLE % {
            "names": "、".join(f"{{{name}}}" for name in unknown),
            "known": "、".join(f"{{{name}}}" for name in CANNED_VARIABLES)}})


@transaction.atomic
def canned_response_save(*, organization, by, title, body, queue=None, is_active=True, canned=None):
    """Create (no `canned`) or change a canned response. A body naming a variable the reply box cannot fill, or a
    title already used, raises ValidationError and nothing is saved."""
    with tenant_scope(organization):
        created = canned is None
        if created:
            canned = CannedResponse(organization=organization)
        canned.title, canned.body, canned.queue, canned.is_active = title.strip(), body, queue, is_active
        canned_variables_check(body)
        canned.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                canned.save()
        except IntegrityError:
            raise ValidationError({"title": MSG_CANNED_TITLE_TAKEN % {"title": canned.title}}) from None
        settings_change_record(
            instance=canned, by=by, action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED,
            detail={"title": canned.title, "body": canned.body, "queue": canned.queue_id, "is_active": is_active})
        return canned
