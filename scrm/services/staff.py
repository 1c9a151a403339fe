"""The organization's people and places as ops change them from the settings pages: regions, teams and their
members, staff accounts, agent profiles. Each write is one transaction that also writes one row of the settings
audit trail (`settings_change_record`); a refusal raises ValidationError with a message safe to show, and nothing
is written. Who may call them is the pages' rule (`scrm.platform.access`, `user_configures_*`); what is written
is checked here, whoever calls. The tree rules of regions and teams stay in people.py (`region_save`,
`team_parent_check`)."""

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from scrm.errors import ScrmError
from scrm.models import (
    AgentProfile,
    CustomRole,
    Region,
    RegionGroupObjectPermission,
    RegionUserObjectPermission,
    Role,
    SettingsChange,
    Team,
    User,
)
from scrm.platform.access import user_manages_staff
from scrm.platform.audit import settings_change_record, settings_object_delete
from scrm.platform.locks import advisory_xact_lock
from scrm.platform.tenancy import tenant_scope
from scrm.services.people import (
    region_managers,
    region_save,
    region_set_managers,
    skill_get_or_create,
    team_parent_check,
    user_create,
    user_language_set,
    user_set_roles,
)
from scrm.services.roles import role_assign, role_unassign

__all__ = [
    "MSG_AGENT_SCOPE_OPS_ONLY", "MSG_LAST_ADMIN", "MSG_NOT_IN_ORGANIZATION", "MSG_OWN_CAPACITY_OPS_ONLY",
    "MSG_REGION_CODE_TAKEN", "MSG_SELF_DEACTIVATE", "MSG_TEAM_CODE_TAKEN",
    "MSG_TEAM_NEEDS_AGENT", "agent_profile_save", "region_delete", "region_settings_save", "team_delete",
    "team_member_add", "team_member_remove", "team_save", "user_invite", "user_password_reset", "user_set_active",
    "user_update",
]

MSG_REGION_CODE_TAKEN = _("A region already has the code “%(code)s”.")
MSG_TEAM_CODE_TAKEN = _("A team already has the code “%(code)s”.")
MSG_LAST_ADMIN = _("%(name)s is the organization's last active ops admin: make someone else ops admin first.")
MSG_SELF_DEACTIVATE = _("You cannot deactivate your own account: ask another ops admin.")
MSG_NOT_IN_ORGANIZATION = _("This does not belong to your organization.")
MSG_AGENT_SCOPE_OPS_ONLY = _("Only an ops admin sets the regions an agent serves and their supervisor: they decide "
                             "which customers the agent sees.")
MSG_OWN_CAPACITY_OPS_ONLY = _("Only an ops admin changes the capacity of your own agent profile.")
MSG_TEAM_NEEDS_AGENT = _("Only agents and supervisors join a team: give %(name)s one of these roles first.")


def _refuse(message, field=None):
    raise ValidationError({field: message} if field else message)


def _same_organization(organization, *objects):
    for obj in objects:
        if obj is not None and obj.organization_id != organization.pk:
            _refuse(MSG_NOT_IN_ORGANIZATION)


def _action(created):
    return SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED


# Regions --------------------------------------------------------------------------------------------------------


@transaction.atomic
def region_settings_save(*, organization, by, name, code, parent=None, level=None, managers=None, region=None):
    """Create a region (`level` given) or rename, recode or move one (its level stays: a province moves under
    another area, never becomes a city), and, when `managers` is given, make exactly these supervisors its
    managers. The tree rules are `region_save`'s; a taken code is refused."""
    with tenant_scope(organization):
        _same_organization(organization, region, parent, *(managers or ()))
        created = region is None
        if created:
            region = Region(organization=organization, level=level)
        before = None if created else {"name": region.name, "code": region.code, "parent": region.parent_id}
        region.name, region.code, region.parent = name.strip(), code.strip(), parent
        try:
            with transaction.atomic():
                region_save(region=region)
        except ScrmError as exc:
            _refuse(str(exc), "parent")
        except IntegrityError:
            _refuse(MSG_REGION_CODE_TAKEN % {"code": region.code}, "code")
        detail = {"name": region.name, "code": region.code, "level": region.level,
                  "parent": parent.name if parent else None, "path": region.path}
        if before and before["parent"] != region.parent_id:
            detail["moved"] = True
        if managers is not None:
            try:
                region_set_managers(region=region, managers=managers)
            except ScrmError as exc:
                _refuse(str(exc), "managers")
            detail["managers"] = sorted(user.username for user in managers)
        settings_change_record(instance=region, by=by, action=_action(created), detail=detail)
        return region


@transaction.atomic
def region_delete(*, organization, by, region):
    """Delete a region nothing uses: a region with sub-regions, customers, tickets, agents serving it, settlement
    rules... is refused with what still uses it (`settings_object_delete`). Its manager grants go with it."""
    with tenant_scope(organization):
        _same_organization(organization, region)
        settings_object_delete(instance=region, by=by,
                               parts=(RegionUserObjectPermission, RegionGroupObjectPermission),
                               detail={"name": region.name, "code": region.code, "path": region.path,
                                       "managers": sorted(u.username for u in region_managers(region=region))})


# Teams ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def team_save(*, organization, by, name, code, kind, leader=None, parent=None, team=None):
    """Create or change a team: its parent is a team of the organization that is not below it
    (`team_parent_check`), its leader a user of the organization; a taken code is refused."""
    with tenant_scope(organization):
        _same_organization(organization, team, leader, parent)
        created = team is None
        if created:
            team = Team(organization=organization)
        team.name, team.code, team.kind, team.leader = name.strip(), code.strip(), kind, leader
        try:
            team_parent_check(team=team, parent=parent)
        except ScrmError as exc:
            _refuse(str(exc), "parent")
        team.parent = parent
        try:
            with transaction.atomic():
                team.save()
        except IntegrityError:
            _refuse(MSG_TEAM_CODE_TAKEN % {"code": team.code}, "code")
        settings_change_record(instance=team, by=by, action=_action(created), detail={
            "name": team.name, "code": team.code, "kind": team.kind, "leader": leader.username if leader else None,
            "parent": parent.name if parent else None})
        return team


@transaction.atomic
def team_delete(*, organization, by, team):
    """Delete a team nothing uses (members, sub-teams, queues...: refused with what, nothing deleted)."""
    with tenant_scope(organization):
        _same_organization(organization, team)
        settings_object_delete(instance=team, by=by, detail={"name": team.name, "code": team.code})


def _user_is_staff_of_desk(user):
    return user.groups.filter(name__in=[Role.AGENT, Role.SUPERVISOR]).exists()


def _profile_for(user):
    """The user's agent profile, created (offline, the default capacity) for an agent or supervisor who has none."""
    profile = AgentProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        if not _user_is_staff_of_desk(user):
            _refuse(MSG_TEAM_NEEDS_AGENT % {"name": user})
        profile = AgentProfile.objects.create(organization_id=user.organization_id, user=user)
    return profile


@transaction.atomic
def team_member_add(*, organization, by, team, user):
    """Make `user` (an agent or supervisor) a member of `team`: their agent profile's team (an agent belongs to
    one team; adding moves them from the team they were in)."""
    with tenant_scope(organization):
        _same_organization(organization, team, user)
        profile = _profile_for(user)
        was = profile.team.name if profile.team_id else None
        if profile.team_id != team.pk:
            profile.team = team
            profile.save(update_fields=["team"])
            settings_change_record(instance=team, by=by, action=SettingsChange.Action.CHANGED,
                                   detail={"member_added": user.username, "from_team": was})
        return profile


@transaction.atomic
def team_member_remove(*, organization, by, team, user):
    """Take `user` out of `team` (a no-op when they are not in it)."""
    with tenant_scope(organization):
        _same_organization(organization, team, user)
        changed = AgentProfile.objects.filter(user=user, team=team).update(team=None)
        if changed:
            settings_change_record(instance=team, by=by, action=SettingsChange.Action.CHANGED,
                                   detail={"member_removed": user.username})
        return bool(changed)


# Staff accounts -------------------------------------------------------------------------------------------------


def _temporary_password():
    # 16 characters of a URL-safe alphabet: about 96 bits, passes every password validator we configure.
    return secrets.token_urlsafe(12)


def _admin_change_lock(organization, *, losing):
    """Serialise, per organization, every change that can take an ops admin away (demotion, deactivation): taken
    before any row lock, so two admins demoting each other wait in turn instead of deadlocking on each other's rows
    (the audit row's foreign key to who acted locks their user row too)."""
    if losing:
        advisory_xact_lock("last-ops-admin", organization.pk)


def _keep_an_admin(user, *, losing):
    """Refuse to take the role (or the account) from the organization's last active ops admin; the caller holds
    `_admin_change_lock`. The other admins are read, not row-locked: a FOR UPDATE over the join to the groups would
    also lock the auth_group row every organization shares."""
    if (losing and user.groups.filter(name=Role.OPS_ADMIN).exists()
            and not User.objects.filter(is_active=True, groups__name=Role.OPS_ADMIN).exclude(pk=user.pk).exists()):
        _refuse(MSG_LAST_ADMIN % {"name": user})


def _set_custom_roles(*, organization, user, custom_roles, by):
    wanted = {role.pk: role for role in custom_roles}
    _same_organization(organization, *wanted.values())
    held = {role.pk: role for role in CustomRole.objects.filter(assignments__user=user)}
    for pk in sorted(set(held) - set(wanted)):
        role_unassign(role=held[pk], user=user, by=by)
    for pk in sorted(set(wanted) - set(held)):
        try:
            role_assign(role=wanted[pk], user=user, by=by)
        except ScrmError as exc:
            _refuse(str(exc), "custom_roles")


def _ensure_agent_profile(user, roles):
    """An agent gets an agent profile (offline, the default capacity) with the role: without one, nothing is ever
    assigned to them and the board does not list them."""
    if Role.AGENT in roles and not AgentProfile.objects.filter(user=user).exists():
        AgentProfile.objects.create(organization_id=user.organization_id, user=user)


def _set_team(*, organization, user, team, by):
    current = AgentProfile.objects.filter(user=user).values_list("team_id", flat=True).first()
    if team is not None and current != team.pk:
        team_member_add(organization=organization, by=by, team=team, user=user)
    elif team is None and current is not None:
        team_member_remove(organization=organization, by=by, team=Team.objects.get(pk=current), user=user)


def _user_detail(user, roles, custom_roles, team):
    return {"username": user.username, "display_name": user.display_name, "email": user.email,
            "mobile_set": bool(user.mobile), "roles": sorted(str(r) for r in roles),
            "custom_roles": sorted(r.name for r in custom_roles), "team": team.name if team else None,
            "is_active": user.is_active, "language": user.language}


def _set_language(user, language):
    try:
        user_language_set(user=user, language=language)
    except ScrmError as exc:
        _refuse(str(exc), "language")


@transaction.atomic
def user_invite(*, organization, by, username, display_name, roles, custom_roles=(), email="", mobile="",
                team=None, language=""):
    """Create a staff account with preset and custom roles (and a team for an agent or supervisor), with a
    temporary password: returned once, to be handed to the person, never stored in clear or written to the
    audit row. Returns (user, password)."""
    password = _temporary_password()
    with tenant_scope(organization):
        _same_organization(organization, team, *custom_roles)
        try:
            with transaction.atomic():
                user = user_create(organization=organization, username=username.strip(), password=password,
                                   roles=roles, email=email.strip(), display_name=display_name.strip(),
                                   mobile=mobile.strip(), validate=False)
        except ScrmError as exc:
            _refuse(str(exc), "username")
        _set_language(user, language)
        _set_custom_roles(organization=organization, user=user, custom_roles=custom_roles, by=by)
        _ensure_agent_profile(user, roles)
        if team is not None:
            _set_team(organization=organization, user=user, team=team, by=by)
        settings_change_record(instance=user, by=by, action=SettingsChange.Action.CREATED,
                               detail=_user_detail(user, roles, custom_roles, team))
    return user, password


@transaction.atomic
def user_update(*, organization, by, user, display_name, roles, custom_roles=(), email="", mobile="", team=None,
                language=None):
    """Change a staff account's name, contact details, roles, team and (unless `language` is None) language. The
    organization's last active ops admin keeps the role (`MSG_LAST_ADMIN`)."""
    with tenant_scope(organization):
        _same_organization(organization, user, team, *custom_roles)
        _admin_change_lock(organization, losing=Role.OPS_ADMIN not in roles)
        user = User.objects.select_for_update().get(pk=user.pk)
        _keep_an_admin(user, losing=Role.OPS_ADMIN not in roles)
        user.display_name, user.email, user.mobile = display_name.strip(), email.strip(), mobile.strip()
        user.save(update_fields=["display_name", "email", "mobile"])
        if language is not None:
            _set_language(user, language)
        user_set_roles(user=user, roles=roles)
        _set_custom_roles(organization=organization, user=user, custom_roles=custom_roles, by=by)
        _ensure_agent_profile(user, roles)
        _set_team(organization=organization, user=user, team=team, by=by)
        settings_change_record(instance=user, by=by, action=SettingsChange.Action.CHANGED,
                               detail=_user_detail(user, roles, custom_roles, team))
        return user


@transaction.atomic
def user_set_active(*, organization, by, user, active):
    """Deactivate (they can no longer sign in, nor use a session or token they hold; an agent goes offline so
    nothing is routed to them) or reactivate a staff account. Accounts are never deleted: tickets, events and
    audit rows keep pointing at them. The last active ops admin cannot be deactivated, nor can one deactivate
    oneself."""
    with tenant_scope(organization):
        _same_organization(organization, user)
        _admin_change_lock(organization, losing=not active)
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active == active:
            return user
        if not active:
            if user.pk == by.pk:
                _refuse(MSG_SELF_DEACTIVATE)
            _keep_an_admin(user, losing=True)
            AgentProfile.objects.filter(user=user).update(status=AgentProfile.Status.OFFLINE)
        user.is_active = active
        user.save(update_fields=["is_active"])
        settings_change_record(instance=user, by=by, action=SettingsChange.Action.CHANGED,
                               detail={"username": user.username, "is_active": active})
        return user


@transaction.atomic
def user_password_reset(*, organization, by, user):
    """Give a staff account a new temporary password (returned once, never stored in clear nor audited) and end
    their API token: the old password stops working at once."""
    password = _temporary_password()
    with tenant_scope(organization):
        _same_organization(organization, user)
        user = User.objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        user.save(update_fields=["password"])
        Token.objects.filter(user=user).delete()
        settings_change_record(instance=user, by=by, action=SettingsChange.Action.CHANGED,
                               detail={"username": user.username, "password": "reset"})
    return password


# Agent profiles -------------------------------------------------------------------------------------------------


_UNCHANGED = object()


def _agent_scope_check(*, by, profile, max_open_tickets, regions, supervisor):
    """The regions an agent profile serves are its holder's data scope (`scrm.selectors.region_scope_q`), its
    supervisor decides who edits it: only who manages staff (ops admins) changes them, and nobody else changes the
    capacity of their own profile."""
    if user_manages_staff(by):
        return
    if ({r.pk for r in regions} != set(profile.regions.values_list("pk", flat=True))
            or getattr(supervisor, "pk", None) != profile.supervisor_id):
        _refuse(MSG_AGENT_SCOPE_OPS_ONLY)
    if profile.user_id == by.pk and max_open_tickets != profile.max_open_tickets:
        _refuse(MSG_OWN_CAPACITY_OPS_ONLY, "max_open_tickets")


@transaction.atomic
def agent_profile_save(*, organization, by, profile, status, max_open_tickets=None, skills=(), regions=None,
                       supervisor=_UNCHANGED, new_skills=()):
    """Change how an agent works: capacity (open tickets the automatic assignment gives them at most), presence
    (online / away / offline: only online agents are assigned), skills (`new_skills`: names of skills to create
    in the organization, or find when they exist, and give), regions served and supervisor (left as they are
    when not given). Regions and supervisor are an ops admin's to change (`MSG_AGENT_SCOPE_OPS_ONLY`), and so is
    the capacity of one's own profile (`MSG_OWN_CAPACITY_OPS_ONLY`), whoever calls."""
    with tenant_scope(organization):
        _same_organization(organization, profile, None if supervisor is _UNCHANGED else supervisor, *skills,
                           *(regions or ()))
        profile = AgentProfile.objects.select_for_update().get(pk=profile.pk)
        regions = list(profile.regions.all()) if regions is None else list(regions)
        supervisor = profile.supervisor if supervisor is _UNCHANGED else supervisor
        max_open_tickets = profile.max_open_tickets if max_open_tickets is None else max_open_tickets
        _agent_scope_check(by=by, profile=profile, max_open_tickets=max_open_tickets, regions=regions,
                           supervisor=supervisor)
        skills = list(skills) + [skill_get_or_create(organization=organization, name=name.strip()[:50])
                                 for name in new_skills if name.strip()]
        profile.max_open_tickets, profile.status = max_open_tickets, AgentProfile.Status(status).value
        profile.supervisor = supervisor
        profile.save(update_fields=["max_open_tickets", "status", "supervisor"])
        profile.skills.set(skills)
        profile.regions.set(regions)
        settings_change_record(instance=profile, by=by, action=SettingsChange.Action.CHANGED, detail={
            "user": profile.user.username, "max_open_tickets": max_open_tickets, "status": profile.status,
            "skills": sorted({s.name for s in skills}), "regions": sorted(r.name for r in regions),
            "supervisor": supervisor.username if supervisor else None})
        return profile

