"""Payment channels as finance's settings keep them: create and change, each save audited (the settings audit
trail). The defaults every organization starts with are in services (payment_channels_ensure)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from scrm.models import SettingsChange
from scrm.platform.audit import settings_change_record
from settlement.models import PaymentChannel
from settlement.statements.mapped import mapping_problem

MSG_CODE_TAKEN = _("A payment channel already has the code “%(code)s”.")
MSG_MAPPING_NEEDED = _("A channel read through a column mapping needs a column for %(field)s.")
FIELDS = ("code", "name", "layout", "currency", "mapping", "expected_fee_rate", "amount_tolerance", "fee_tolerance",
          "timing_window_minutes", "write_off_limit", "active")


@transaction.atomic
def payment_channel_save(*, organization, by, channel=None, **values):
    """Create (no `channel`) or change a payment channel. A taken code, or a mapped channel whose mapping cannot
    read a file, raises ValidationError and nothing is saved."""
    created = channel is None
    if created:
        channel = PaymentChannel(organization=organization)
    for name, value in values.items():
        if name not in FIELDS:
            raise TypeError(f"unknown payment channel field {name}")
        setattr(channel, name, value)
    if channel.layout == PaymentChannel.Layout.MAPPED:
        missing = mapping_problem(channel.mapping)
        if missing:
            raise ValidationError(MSG_MAPPING_NEEDED % {"field": missing})
    channel.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError:
        raise ValidationError({"code": MSG_CODE_TAKEN % {"code": channel.code}}) from None
    settings_change_record(
        instance=channel, by=by, action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED,
        detail={name: str(getattr(channel, name)) if name != "mapping" else channel.mapping for name in FIELDS})
    return channel
