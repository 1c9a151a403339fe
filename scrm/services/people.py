"""Every write of the core app: organizations, users and roles, regions, teams, agent profiles."""

import logging
from contextlib import nullcontext
from functools import partial

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm
from rest_framework.authtoken.models import Token

from scrm.errors import (
    MSG_API_TOKEN_NO_ORGANIZATION,
    MSG_LANGUAGE_UNKNOWN,
    MSG_ORG_SLUG_TAKEN,
    MSG_REGION_CYCLE,
    MSG_REGION_LEVEL_ORDER,
    MSG_REGION_MANAGER_NOT_SUPERVISOR,
    MSG_REGION_PARENT_OTHER_ORG,
    MSG_TEAM_CYCLE,
    MSG_TEAM_PARENT_OTHER_ORG,
    MSG_USERNAME_TAKEN,
    ScrmError,
)
from scrm.models import AgentProfile, Organization, OrganizationStatusChange, Region, Role, Skill, Team, User
from scrm.platform import outbox
from scrm.platform.onboarding import organization_setup, organization_status_changed
from scrm.platform.tenancy import tenant_scope

logger = logging.getLogger(__name__)

_LEVEL_BELOW = {None: Region.Level.AREA, Region.Level.AREA: Region.Level.PROVINCE,
                Region.Level.PROVINCE: Region.Level.CITY}


@transaction.atomic
def organization_create(*, slug, name, admin_username=None, admin_password=None, admin_email=""):
    """Create a tenant with what every app sets up for one (scrm.platform.onboarding) and, when a username is given, its
    first ops admin (staff, so they can use the admin)."""
    try:
        with transaction.atomic():
            organization = Organization.objects.create(slug=slug, name=name)
    except IntegrityError as exc:
        raise ScrmError(MSG_ORG_SLUG_TAKEN) from exc
    organization_setup(organization)
    if admin_username:
        user_create(
            organization=organization, username=admin_username, password=admin_password, email=admin_email,
            roles=[Role.OPS_ADMIN],
        )
    return organization


@transaction.atomic
def organization_suspend(*, organization, by, reason=""):
    """Suspend a tenant: its users can no longer sign in (nor use a session or token they hold: the next request is
    refused), its webhooks answer 403 and store nothing, and its background work waits: the outbox neither claims
    nor sweeps its rows (replies, notifications, inbound events, imports, exports), the SLA sweep does not escalate
    its tickets, its exports' files do not expire. Nothing is deleted; `organization_resume` undoes it and the work
    that waited goes out. Audited (who, when, why)."""
    return _organization_status_set(organization=organization, by=by, reason=reason,
                                    action=OrganizationStatusChange.Action.SUSPEND)


@transaction.atomic
def organization_resume(*, organization, by, reason=""):
    return _organization_status_set(organization=organization, by=by, reason=reason,
                                    action=OrganizationStatusChange.Action.RESUME)


def _organization_status_set(*, organization, by, reason, action):
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    is_active = action == OrganizationStatusChange.Action.RESUME
    if organization.is_active == is_active:
        return organization  # already so: nothing to record
    organization.is_active = is_active
    organization.save(update_fields=["is_active"])
    with tenant_scope(organization):
        OrganizationStatusChange.objects.create(organization=organization, action=action, by=by, reason=reason[:200])
    if is_active:
        # What waited for the resumption (replies, notifications, imports, exports) goes out at the next sweep.
        outbox.organization_resumed(organization.pk)
    # Caches that carry the organization's status (the webhooks' account lookup) forget it now and after commit.
    organization_status_changed(organization)
    transaction.on_commit(partial(organization_status_changed, organization))
    return organization


@transaction.atomic
def user_create(*, organization, username, password, roles, email="", display_name="", mobile="",
                validate=True):
    """Create a staff user in an organization with the given roles. Ops admins may use the Django admin."""
    if password is not None and validate:
        validate_password(password, User(username=username, email=email))
    with tenant_scope(organization):
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    username=username, password=password, email=email, organization=organization,
                    display_name=display_name, mobile=mobile, is_staff=Role.OPS_ADMIN in roles,
                )
        except IntegrityError as exc:
            raise ScrmError(MSG_USERNAME_TAKEN) from exc
        user_set_roles(user=user, roles=roles)
    return user


@transaction.atomic
def user_set_roles(*, user, roles):
    # A platform operator's own row is written only from the platform console, whose platform scope is open.
    with tenant_scope(user.organization_id) if user.organization_id else nullcontext():
        user.groups.set(Group.objects.filter(name__in=[Role(r).value for r in roles]))
        is_staff = Role.OPS_ADMIN in roles or user.is_superuser
        if user.is_staff != is_staff:
            user.is_staff = is_staff
            user.save(update_fields=["is_staff"])


def _region_path(region):
    prefix = region.parent.path if region.parent_id else "/"
    return f"{prefix}{region.code}/"


def region_validate(*, region):
    """The tree rules: the parent is in the same organization, one level up, never the region itself or below it."""
    parent = region.parent
    if parent is not None:
        if parent.organization_id != region.organization_id:
            raise ScrmError(MSG_REGION_PARENT_OTHER_ORG)
        if region.pk and (parent.pk == region.pk or parent.path.startswith(Region.objects.get(pk=region.pk).path)):
            raise ScrmError(MSG_REGION_CYCLE)
    if region.level != _LEVEL_BELOW[parent.level if parent else None]:
        raise ScrmError(MSG_REGION_LEVEL_ORDER)


@transaction.atomic
def region_save(*, region):
    """Save a region (new or changed) after `region_validate`; the materialised path of the region and its whole
    subtree follows any change of code or parent."""
    region_validate(region=region)
    old_path = Region.objects.get(pk=region.pk).path if region.pk else None
    region.path = _region_path(region)
    region.save()
    if old_path and old_path != region.path:
        Region.objects.filter(path__startswith=old_path).exclude(pk=region.pk).update(
            path=Concat(Value(region.path), Substr("path", len(old_path) + 1))
        )
    return region


def region_create(*, organization, name, code, level, parent=None):
    with tenant_scope(organization):
        return region_save(region=Region(organization=organization, name=name, code=code, level=level, parent=parent))


def team_create(*, organization, name, code, kind=Team.Kind.AFTER_SALES, leader=None, parent=None):
    with tenant_scope(organization):
        team = Team(organization=organization, name=name, code=code, kind=kind, leader=leader, parent=parent)
        team_parent_check(team=team, parent=parent)
        team.save()
        return team


def team_parent_check(*, team, parent):
    """A team's parent is a team of the same organization that is neither the team nor one of its sub-teams
    (the tree stays a tree); raise ScrmError otherwise. The admin's form runs it too."""
    if parent is None:
        return
    organization_id = team.organization_id
    if parent.organization_id != organization_id:
        raise ScrmError(MSG_TEAM_PARENT_OTHER_ORG)
    if team.pk is None:
        return
    with tenant_scope(organization_id):
        parents = dict(Team.objects.values_list("pk", "parent_id"))
    seen, node = set(), parent.pk
    while node is not None and node not in seen:
        if node == team.pk:
            raise ScrmError(MSG_TEAM_CYCLE)
        seen.add(node)
        node = parents.get(node)


@transaction.atomic
def team_set_parent(*, team, parent):
    """Place a team under another (or at the top with None)."""
    team_parent_check(team=team, parent=parent)
    with tenant_scope(team.organization_id):
        team.parent = parent
        team.save(update_fields=["parent"])
    return team


@transaction.atomic
def agent_profile_upsert(*, user, team=None, regions=(), skills=(), max_open_tickets=20, supervisor=None,
                         status=AgentProfile.Status.OFFLINE):
    """Create or replace how an agent works; the agent's organization is the user's."""
    with tenant_scope(user.organization_id):
        profile, _created = AgentProfile.objects.update_or_create(
            user=user,
            defaults={
                "organization_id": user.organization_id, "team": team, "max_open_tickets": max_open_tickets,
                "supervisor": supervisor, "status": status,
            },
        )
        profile.regions.set(regions)
        profile.skills.set(skills)
    return profile


def skill_get_or_create(*, organization, name):
    with tenant_scope(organization):
        return Skill.objects.get_or_create(organization=organization, name=name)[0]


@transaction.atomic
def region_set_managers(*, region, managers):
    """Make exactly these supervisors the managers of a region (a django-guardian object permission, stored with a
    foreign key to the region: `RegionUserObjectPermission`): they see the customers and tickets of the region and
    of every region below it."""
    managers = list(managers)
    with tenant_scope(region.organization_id):
        for user in managers:
            if (user.organization_id != region.organization_id
                    or not user.groups.filter(name=Role.SUPERVISOR).exists()):
                raise ScrmError(MSG_REGION_MANAGER_NOT_SUPERVISOR)
        current = set(region_managers(region=region))
        for user in current - set(managers):
            remove_perm("scrm.manage_region", user, region)
        for user in set(managers) - current:
            assign_perm("scrm.manage_region", user, region)


def region_managers(*, region):
    """Who manages the region: the users granted `scrm.manage_region` on it (not through a group, not superusers)."""
    return list(get_users_with_perms(region, only_with_perms_in=["manage_region"], with_superusers=False,
                                     with_group_users=False))


@transaction.atomic
def api_token_issue(*, user):
    """Give the user a new API token, revoking the one they had: the key is shown once, at this moment."""
    if user.organization_id is None:
        raise ScrmError(MSG_API_TOKEN_NO_ORGANIZATION)
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    logger.info("api token issued", extra={"user_id": user.pk, "organization_id": user.organization_id})
    return token.key


@transaction.atomic
def api_token_revoke(*, user):
    """Revoke the user's API token; calls made with it answer 401 from now on."""
    deleted, _by_model = Token.objects.filter(user=user).delete()
    if deleted:
        logger.info("api token revoked", extra={"user_id": user.pk, "organization_id": user.organization_id})
    return bool(deleted)


@transaction.atomic
def user_language_set(*, user, language):
    """Keep the language `user` chose ("" for the product's, LANGUAGE_CODE): every browser they sign in on opens in
    it, and what is sent to them (email, WeCom, SMS) is worded in it (`notifications.services.notification_language`).
    A language the product does not offer is refused, so a stored one is always one of `settings.LANGUAGES`."""
    if language and language not in dict(settings.LANGUAGES):
        raise ScrmError(MSG_LANGUAGE_UNKNOWN % {"language": language})
    # Their own row, by id, whatever scope is open: a platform operator (no organization) chooses a language too.
    User.all_objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return user
