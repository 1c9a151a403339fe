"""Skills agents have and queues or ticket types require (安装, 退款, 英语 ...): named, renamed and deleted by ops on
the skills page, each with one row of the settings audit trail. (An agent's profile may also name new ones.)"""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from scrm.models import SettingsChange, Skill
from scrm.platform.audit import MSG_IN_USE, settings_change_record, settings_object_delete
from scrm.platform.tenancy import tenant_scope

__all__ = ["MSG_SKILL_NAME_TAKEN", "skill_delete", "skill_save"]

MSG_SKILL_NAME_TAKEN = gettext_lazy("A skill is already called “%(name)s”.")
# The requirements a skill cannot silently leave (tickets would then go to agents without it): model, its skill set.
_REQUIRED_BY = (("tickets", "Queue"), ("tickets", "TicketType"))


@transaction.atomic
def skill_save(*, organization, by, name, skill=None):
    """Name a new skill (no `skill`) or rename one; a taken name raises ValidationError and nothing is saved."""
    with tenant_scope(organization):
        created = skill is None
        if created:
            skill = Skill(organization=organization)
        skill.name = name.strip()
        skill.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                skill.save()
        except IntegrityError:
            raise ValidationError({"name": MSG_SKILL_NAME_TAKEN % {"name": skill.name}}) from None
        settings_change_record(instance=skill, by=by, detail={"name": skill.name},
                               action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED)
        return skill


@transaction.atomic
def skill_delete(*, organization, by, skill):
    """Delete a skill: it comes off the agents who have it (how many is in the audit row). One a queue or ticket
    type requires is refused with ValidationError naming them, nothing deleted."""
    with tenant_scope(organization):
        uses = []
        for app_label, name in _REQUIRED_BY:
            model = apps.get_model(app_label, name)
            count = model.objects.filter(required_skills=skill).count()
            if count:
                uses.append((model._meta.verbose_name_plural, count))
        if uses:
            raise ValidationError(MSG_IN_USE, params={
                "name": str(skill), "uses": "、".join(f"{what} {count}" for what, count in uses)})
        agents = skill.agents.count()
        settings_object_delete(instance=skill, by=by, parts=("scrm.AgentProfileSkill", "tickets.QueueSkill",
                                                             "tickets.TicketTypeSkill"),
                               detail={"name": skill.name, "agents": agents})
