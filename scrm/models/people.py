"""People and places: organizations (tenants), users, regions, teams, skills and agent profiles."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.managers import GroupObjectPermissionManager, UserObjectPermissionManager
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from scrm.platform.tenancy import TenantManager, TenantManyToManyField, TenantModel, platform_scope


class Organization(models.Model):
    """A tenant: one enterprise using SCRM. Managed by the platform operator, not scoped itself."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_suspended(self):
        """Suspended by the platform (`organization_suspend`): its users cannot sign in, its webhooks answer 403;
        nothing of it is deleted."""
        return not self.is_active


class OrganizationStatusChange(TenantModel):
    """The audit trail of an organization's suspensions and resumptions: who, when, why. Append-only."""

    class Action(models.TextChoices):
        SUSPEND = "suspend", _("Suspended")
        RESUME = "resume", _("Resumed")

    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    by = models.ForeignKey("scrm.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("organization status change")
        verbose_name_plural = _("organization status changes")
        ordering = ["-at"]
        indexes = [models.Index(fields=["organization", "at"], name="scrm_orgstatus_org_at")]

    def __str__(self):
        if self.at is None:  # not saved yet
            return str(self.get_action_display())
        # Stored in UTC; shown, like every time in the product, in Asia/Shanghai.
        return f"{self.get_action_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class Role(models.TextChoices):
    """The roles of staff users; each is a Django group (created by a migration) whose name is the value."""

    OPS_ADMIN = "ops_admin", _("Ops admin")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")
    FINANCE = "finance", _("Finance")
    VIEWER = "viewer", _("Viewer")


class TenantUserManager(TenantManager, UserManager):
    """`User.objects`: scoped like every tenant model's manager, with Django's `create_user` and friends."""

    use_in_migrations = False  # migrations get `all_objects`: historical models are platform code


class User(AbstractUser, TenantModel):
    """A staff user of one organization; a platform operator (superuser of the platform console) has none.

    A tenant model for product code: `User.objects` (also the default manager, so forms, filters, the admin and the
    API serializers take their choices from it) is scoped to the open organization and raises with none open.
    `User.all_objects` is unscoped, for the code that looks a user up before any organization is known or across
    all of them: sign-in and session loading (`scrm.auth`), `createsuperuser`, `create_organization`, the
    uniqueness of usernames and a user saving their own language (`user_language_set`). Grep `all_objects` to
    audit them. Usernames are unique across the platform so that sign-in needs no organization field.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="users",
        verbose_name=_("organization"),
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    # The language they chose (the language switch saves it): their pages after signing in on any browser, and
    # what is sent to them (email, WeCom, SMS). Blank: the product's, LANGUAGE_CODE.
    language = models.CharField(_("language"), max_length=16, choices=settings.LANGUAGES, blank=True)

    objects = TenantUserManager()
    all_objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        base_manager_name = "objects"
        indexes = [models.Index(fields=["organization", "username"], name="user_org_username_idx")]

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_platform_operator(self):
        return self.is_superuser and self.organization_id is None

    def validate_unique(self, exclude=None):
        # A username is unique across the platform, so a form checks it against every organization's users (the
        # database would refuse it anyway); the message says only that the name is taken.
        # Lift: usernames are unique across the platform; only whether the name is taken is read.
        with platform_scope():
            super().validate_unique(exclude=exclude)


class Region(TenantModel):
    """A node of the organization's region tree: 大区 → 省 → 市."""

    class Level(models.TextChoices):
        AREA = "area", _("Area")
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    # Materialised path of codes ("/EAST/JS/NJ/"): a subtree is one indexed prefix query.
    path = models.CharField(_("path"), max_length=255, editable=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        # Granted per region (django-guardian object permission) to the supervisors who manage it: they see the
        # customers and tickets of the region and everything below it.
        permissions = [("manage_region", _("Can manage the customers and tickets of the region"))]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="region_org_code_uniq"),
        ]
        indexes = [models.Index(fields=["organization", "path"], name="region_org_path_idx")]

    def __str__(self):
        return self.name


class Team(TenantModel):
    class Kind(models.TextChoices):
        AFTER_SALES = "after_sales", _("After-sales")
        TECHNICAL = "technical", _("Technical")
        SALES = "sales", _("Sales")
        FINANCE = "finance", _("Finance")
        WAREHOUSE = "warehouse", _("Warehouse")
        QUALITY = "quality", _("Quality")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.AFTER_SALES)
    leader = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="led_teams", verbose_name=_("leader")
    )
    # Teams form a tree (售后服务部 → 售后一组): the data scope "team and its sub-teams" walks it. Set through
    # `team_create` / `team_set_parent` (or the admin, which runs the same check): same organization, no cycle.
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent team"),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="team_org_code_uniq")]

    def __str__(self):
        return self.name


class Skill(TenantModel):
    """A skill an agent has and a ticket may need (e.g. 安装, 退款, 英语)."""

    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="skill_org_name_uniq")]

    def __str__(self):
        return self.name


class AgentProfile(TenantModel):
    """How a customer-service agent works: team, regions served, skills, capacity, supervisor, presence."""

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="agent_profile", verbose_name=_("user"))
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="agents", verbose_name=_("team")
    )
    regions = TenantManyToManyField(Region, through="AgentProfileRegion", blank=True, related_name="agents",
                                    verbose_name=_("regions served"))
    skills = TenantManyToManyField(Skill, through="AgentProfileSkill", blank=True, related_name="agents",
                                   verbose_name=_("skills"))
    max_open_tickets = models.PositiveIntegerField(_("max open tickets"), default=20)
    supervisor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="supervised_agents",
        verbose_name=_("supervisor"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OFFLINE)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")
        indexes = [models.Index(fields=["organization", "team", "status"], name="agent_org_team_status_idx")]

    def __str__(self):
        return str(self.user)


# The through rows of AgentProfile's many-to-manys: tenant rows, organization first. They keep the tables (and
# column names) Django created for the plain many-to-manys they replace.


class AgentProfileRegion(TenantModel):
    agentprofile = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "scrm_agentprofile_regions"
        constraints = [models.UniqueConstraint(fields=["organization", "agentprofile", "region"],
                                               name="agentprofileregion_org_uniq")]


class AgentProfileSkill(TenantModel):
    agentprofile = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="+")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "scrm_agentprofile_skills"
        constraints = [models.UniqueConstraint(fields=["organization", "agentprofile", "skill"],
                                               name="agentprofileskill_org_uniq")]


# Region managers: django-guardian's object permissions with a real foreign key to the region ("direct foreign
# keys" in guardian's docs), as tenant rows. Guardian's shortcuts (assign_perm, get_users_with_perms,
# get_objects_for_user) find them from the Region model, so services and selectors call guardian as before; the
# generic table with its text object_pk holds no region grant.


class _RegionPermissionManager(TenantManager):
    """Guardian's `assign_perm` creates the grant with `get_or_create(user=, permission=, content_object=)`: the
    grant takes the region's organization."""

    def get_or_create(self, defaults=None, **kwargs):
        region = kwargs["content_object"]
        return super().get_or_create(defaults={"organization_id": region.organization_id, **(defaults or {})},
                                     **kwargs)


class _RegionUserPermissionManager(_RegionPermissionManager, UserObjectPermissionManager):
    pass


class _RegionGroupPermissionManager(_RegionPermissionManager, GroupObjectPermissionManager):
    pass


class RegionUserObjectPermission(UserObjectPermissionBase, TenantModel):
    content_object = models.ForeignKey(Region, on_delete=models.CASCADE)

    objects = _RegionUserPermissionManager()

    class Meta:
        verbose_name = _("region permission of a user")
        verbose_name_plural = _("region permissions of users")
        base_manager_name = "objects"
        constraints = [models.UniqueConstraint(fields=["organization", "user", "permission", "content_object"],
                                               name="regionuserperm_org_uniq")]
        indexes = [models.Index(fields=["organization", "content_object", "permission"],
                                name="regionuserperm_org_region_idx")]


class RegionGroupObjectPermission(GroupObjectPermissionBase, TenantModel):
    content_object = models.ForeignKey(Region, on_delete=models.CASCADE)

    objects = _RegionGroupPermissionManager()

    class Meta:
        verbose_name = _("region permission of a group")
        verbose_name_plural = _("region permissions of groups")
        base_manager_name = "objects"
        constraints = [models.UniqueConstraint(fields=["organization", "group", "permission", "content_object"],
                                               name="regiongroupperm_org_uniq")]
        indexes = [models.Index(fields=["organization", "content_object", "permission"],
                                name="regiongroupperm_org_region_idx")]
