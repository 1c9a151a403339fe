"""Tags ops keep for customers and tickets: each in a group, names unique in the organization. Saved with one
row of the settings audit trail."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from scrm.models import CustomerTag, SettingsChange, Tag, TagGroup
from scrm.platform.audit import settings_change_record, settings_object_delete
from scrm.platform.tenancy import tenant_scope

__all__ = ["MSG_TAG_GROUP_NAME_TAKEN", "MSG_TAG_GROUP_NEEDED", "MSG_TAG_NAME_TAKEN", "tag_delete", "tag_group_delete",
           "tag_group_save", "tag_save"]

MSG_TAG_NAME_TAKEN = gettext_lazy("A tag is already called “%(name)s”.")
MSG_TAG_GROUP_NEEDED = gettext_lazy("Choose a group or name a new one.")
MSG_TAG_GROUP_NAME_TAKEN = gettext_lazy("A tag group is already called “%(name)s”.")


@transaction.atomic
def tag_save(*, organization, by, name, color, group=None, new_group="", tag=None):
    """Create (no `tag`) or change a tag, in `group` or in a new group named `new_group` (created once). A taken
    name or no group raises ValidationError and nothing is saved."""
    with tenant_scope(organization):
        new_group = (new_group or "").strip()
        if group is None and not new_group:
            raise ValidationError({"group": MSG_TAG_GROUP_NEEDED})
        if group is None:
            group, _created = TagGroup.objects.get_or_create(organization=organization, name=new_group[:50])
        created = tag is None
        if created:
            tag = Tag(organization=organization)
        tag.name, tag.color, tag.group = name.strip(), color, group
        tag.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                tag.save()
        except IntegrityError:
            raise ValidationError({"name": MSG_TAG_NAME_TAKEN % {"name": tag.name}}) from None
        settings_change_record(
            instance=tag, by=by, action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED,
            detail={"name": tag.name, "color": tag.color, "group": group.name})
        return tag


@transaction.atomic
def tag_delete(*, organization, by, tag):
    """Delete a tag: it comes off every customer and ticket that has it (how many is in the audit row). A tag a
    routing rule adds (or anything else points at) is refused with ValidationError naming what, nothing deleted."""
    with tenant_scope(organization):
        customers = CustomerTag.objects.filter(tag=tag).count()
        settings_object_delete(instance=tag, by=by, parts=(CustomerTag, "tickets.TicketTag"),
                               detail={"name": tag.name, "group": tag.group.name, "customers": customers})


@transaction.atomic
def tag_group_save(*, organization, by, group, name, sort_order):
    """Rename a tag group or move it in the list (groups show by `sort_order`, then name). A taken name raises
    ValidationError and nothing is saved. (New groups are named with their first tag, `tag_save`.)"""
    with tenant_scope(organization):
        group.name, group.sort_order = name.strip(), sort_order
        group.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                group.save()
        except IntegrityError:
            raise ValidationError({"name": MSG_TAG_GROUP_NAME_TAKEN % {"name": group.name}}) from None
        settings_change_record(instance=group, by=by, action=SettingsChange.Action.CHANGED,
                               detail={"name": group.name, "sort_order": group.sort_order})
        return group


@transaction.atomic
def tag_group_delete(*, organization, by, group):
    """Delete an empty tag group; one that still holds tags is refused with ValidationError naming them."""
    with tenant_scope(organization):
        settings_object_delete(instance=group, by=by, detail={"name": group.name})
