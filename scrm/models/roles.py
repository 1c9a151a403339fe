"""Roles an organization defines for itself (on top of the five preset roles), who holds them, and their audit trail.

The preset roles stay Django groups (the same for every organization). A custom role is a tenant row: the
modules it may open, the permissions it grants (chosen from `scrm.platform.roles.ROLE_PERMISSIONS`, nothing
else), a data scope and the fields it masks. How roles combine is written once, in `scrm.platform.access`.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scrm.platform.tenancy import TenantModel


class DataScope(models.TextChoices):
    """Which tickets and customers a role sees, narrowest first."""

    OWN = "own", _("Own tickets and customers")
    TEAM = "team", _("Own team")
    TEAM_TREE = "team_tree", _("Own team and its sub-teams")
    REGION = "region", _("Own region")
    REGION_TREE = "region_tree", _("Own region and its sub-regions")
    ORGANIZATION = "organization", _("Whole organization")


class MaskedField(models.TextChoices):
    """Personal and financial fields a role may be made to see masked."""

    MOBILE = "mobile", _("Mobile")
    REAL_NAME = "real_name", _("Real name")
    ADDRESS = "address", _("Address")
    ORDER_AMOUNT = "order_amount", _("Order amounts")
    BANK_DETAILS = "bank_details", _("Partner bank details")


class CustomRole(TenantModel):
    """A role ops defined for their organization. Deactivated, it grants nothing but keeps its holders and history."""

    name = models.CharField(_("name"), max_length=50)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Keys of scrm.platform.roles.MODULE_ROLES; checked by `role_save`.
    modules = ArrayField(models.CharField(max_length=20), verbose_name=_("modules"), default=list, blank=True)
    data_scope = models.CharField(_("data scope"), max_length=16, choices=DataScope.choices, default=DataScope.OWN)
    masked_fields = ArrayField(models.CharField(max_length=16, choices=MaskedField.choices),
                               verbose_name=_("masked fields"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("custom role")
        verbose_name_plural = _("custom roles")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="customrole_org_name_uniq")]

    def __str__(self):
        return self.name


class CustomRolePermission(TenantModel):
    """One model permission a custom role grants (`role_save` only writes those the permission table offers)."""

    role = models.ForeignKey(CustomRole, on_delete=models.CASCADE, related_name="grants")
    permission = models.ForeignKey("auth.Permission", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("custom role permission")
        verbose_name_plural = _("custom role permissions")
        constraints = [models.UniqueConstraint(fields=["organization", "role", "permission"],
                                               name="customroleperm_org_uniq")]


class CustomRoleAssignment(TenantModel):
    """A user holding a custom role of their own organization."""

    role = models.ForeignKey(CustomRole, on_delete=models.CASCADE, related_name="assignments",
                             verbose_name=_("role"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="custom_role_holdings",
                             verbose_name=_("user"))
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("custom role holder")
        verbose_name_plural = _("custom role holders")
        constraints = [models.UniqueConstraint(fields=["organization", "user", "role"],
                                               name="customroleassignment_org_uniq")]
        indexes = [models.Index(fields=["organization", "role"], name="customroleassign_org_role_idx")]


class CustomRoleChange(TenantModel):
    """The audit trail of custom roles: who created, changed, deactivated, assigned or unassigned what, and when.
    Append-only; `detail` holds the role as saved (or the user concerned)."""

    class Action(models.TextChoices):
        # An action: "Created" alone is the column title of creation times (创建时间).
        CREATED = "created", pgettext_lazy("configuration change", "Created")
        CHANGED = "changed", _("Changed")
        ASSIGNED = "assigned", _("Assigned")
        UNASSIGNED = "unassigned", _("Unassigned")

    role = models.ForeignKey(CustomRole, on_delete=models.PROTECT, related_name="changes", verbose_name=_("role"))
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("user"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("custom role change")
        verbose_name_plural = _("custom role changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["organization", "role", "at"], name="customrolechange_org_role_idx")]
