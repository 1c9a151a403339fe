"""Django admin for ops configuration, scoped to the admin's organization; the platform operator sees all."""

from django import forms
from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.checks import ModelAdminChecks
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from scrm import selectors, services
from scrm.errors import ScrmError
from scrm.models import (
    AgentProfile,
    CustomerMerge,
    Organization,
    OrganizationStatusChange,
    PiiReveal,
    PlatformAudit,
    Region,
    Role,
    Skill,
    Tag,
    TagGroup,
    Team,
    User,
)
from scrm.platform import console
from scrm.platform.onboarding import organization_setup
from scrm.platform.tenancy import TenantManyToManyField


def tenant_form(form_class, organization_id, validate=None):
    """A model form that sets the organization before model validation, so the unique constraints that lead with
    it give a form error instead of a database error, then runs the domain rules (`validate`, raising ScrmError)."""

    class TenantForm(form_class):
        def _get_validation_exclusions(self):
            exclusions = super()._get_validation_exclusions()
            exclusions.discard("organization")
            return exclusions

        def _post_clean(self):
            if organization_id is not None:
                self.instance.organization_id = organization_id
            super()._post_clean()
            if validate is not None and not self.errors:
                try:
                    validate(self.instance)
                except ScrmError as exc:
                    self.add_error(None, str(exc))

    return TenantForm


def _is_tenant_many_to_many(model, field_name):
    try:
        return isinstance(model._meta.get_field(field_name), TenantManyToManyField)
    except FieldDoesNotExist:
        return False


class TenantModelAdminChecks(ModelAdminChecks):
    """Django's admin refuses a many-to-many with an explicit through model in `fields` and `filter_horizontal`,
    as it cannot fill the through row's other fields. A tenant through row has only the organization, which the
    relation fills itself (`TenantManyToManyField`), so those are allowed."""

    def _check_field_spec_item(self, obj, field_name, label):
        if _is_tenant_many_to_many(obj.model, field_name):
            return []
        return super()._check_field_spec_item(obj, field_name, label)

    def _check_filter_item(self, obj, field_name, label):
        if _is_tenant_many_to_many(obj.model, field_name):
            return []
        return super()._check_filter_item(obj, field_name, label)


class TenantAdmin(admin.ModelAdmin):
    """Admin of a tenant model: the queryset and foreign-key choices come from the scope the middleware opened;
    the organization is set from the signed-in admin and never shown to them."""

    checks_class = TenantModelAdminChecks

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not isinstance(db_field, TenantManyToManyField):
            return super().formfield_for_manytomany(db_field, request, **kwargs)
        # Django shows no field for a many-to-many with an explicit through model; a tenant one is edited like a
        # plain one (see TenantModelAdminChecks). The widget and choices as Django's own method gives them.
        if "widget" not in kwargs and db_field.name in [*self.filter_vertical, *self.filter_horizontal]:
            kwargs["widget"] = widgets.FilteredSelectMultiple(db_field.verbose_name,
                                                              db_field.name in self.filter_vertical)
        if "queryset" not in kwargs:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return db_field.formfield(**kwargs)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_platform_operator:
            exclude.append("organization")
        return exclude

    def get_list_display(self, request):
        display = list(super().get_list_display(request))
        if request.user.is_platform_operator:
            display.append("organization")
        return display

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        organization_id = None if request.user.is_platform_operator else request.user.organization_id
        return tenant_form(form_class, organization_id, self.validate_instance)

    def validate_instance(self, obj):
        """Domain rules beyond the model's own constraints; raise ScrmError."""

    def save_model(self, request, obj, form, change):
        if not request.user.is_platform_operator:
            obj.organization_id = request.user.organization_id
        super().save_model(request, obj, form, change)


class OrganizationStatusChangeInline(admin.TabularInline):
    """The audit trail of suspensions and resumptions, read-only: the actions write it."""

    model = OrganizationStatusChange
    fields = readonly_fields = ("action", "by", "at", "reason")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    actions = ["suspend", "resume"]

    def get_inlines(self, request, obj):
        return [OrganizationStatusChangeInline] if obj is not None else []  # a new organization has no history

    def get_urls(self):
        console_url = path("console/", self.admin_site.admin_view(self.console_view), name="scrm_organization_console")
        return [console_url, *super().get_urls()]

    def console_view(self, request):
        """The platform console's figures: per organization its admins, active users, tickets and inbound events
        per day, storage used. Platform operators only (the console's platform scope is open)."""
        if not getattr(request.user, "is_platform_operator", False):
            raise PermissionDenied
        rows = selectors.console_organizations()
        days = selectors.console_days()
        series, stores = console.daily_counts(), console.stored_files()
        chart = {
            "labels": [f"{day:%m-%d}" for day in days],
            "series": [{"key": item.key, "label": str(item.label)} for item in series],
            "organizations": {str(row.organization.pk): row.daily for row in rows},
        }
        return TemplateResponse(request, "admin/scrm/organization/console.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Platform console"),
            "rows": rows, "days": days, "series": series, "stores": stores, "chart": chart,
            "active_days": selectors.CONSOLE_ACTIVE_DAYS,
            "ops_admin_group": Group.objects.filter(name=Role.OPS_ADMIN).values_list("pk", flat=True).first(),
        })

    def get_readonly_fields(self, request, obj=None):
        # Suspending and resuming go through the actions, which audit them; never through the checkbox.
        return ("is_active", "created_at") if obj is not None else ()

    @admin.action(description=_("Suspend the selected organizations (users cannot sign in, webhooks refused)"))
    def suspend(self, request, queryset):
        for organization in queryset:
            services.organization_suspend(organization=organization, by=request.user)
        self.message_user(request, _("%(count)s organizations suspended.") % {"count": queryset.count()})

    @admin.action(description=_("Resume the selected organizations"))
    def resume(self, request, queryset):
        for organization in queryset:
            services.organization_resume(organization=organization, by=request.user)
        self.message_user(request, _("%(count)s organizations resumed.") % {"count": queryset.count()})

    def has_module_permission(self, request):
        # The admin's sign-in page asks too, for an anonymous user.
        return getattr(request.user, "is_platform_operator", False)

    def has_view_permission(self, request, obj=None):
        return getattr(request.user, "is_platform_operator", False)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            organization_setup(obj)  # what organization_create gives a new tenant


@admin.register(PlatformAudit)
class PlatformAuditAdmin(admin.ModelAdmin):
    """Every lift of the tenant guard by a person or a maintenance command, read-only: `platform_lift` writes it."""

    list_display = ("at", "source", "actor", "command", "what")
    list_filter = ("source",)
    search_fields = ("what", "command", "actor__username")
    list_select_related = ("actor",)
    date_hierarchy = "at"

    def has_module_permission(self, request):
        return getattr(request.user, "is_platform_operator", False)

    def has_view_permission(self, request, obj=None):
        return getattr(request.user, "is_platform_operator", False)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RegionAdminForm(forms.ModelForm):
    managers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, label=_("Managers"),
        help_text=_("Supervisors who see the customers and tickets of this region and of every region below it."),
    )

    class Meta:
        model = Region
        fields = ["name", "code", "level", "parent", "managers"]


@admin.register(Region)
class RegionAdmin(TenantAdmin):
    form = RegionAdminForm
    list_display = ("name", "code", "level", "parent", "path")
    list_filter = ("level",)
    search_fields = ("name", "code")
    readonly_fields = ("path",)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        supervisors = User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True)
        if obj is not None:  # the platform console sees every organization: the region's own supervisors
            supervisors = supervisors.filter(organization_id=obj.organization_id)
        initial = services.region_managers(region=obj) if obj else []

        class Form(form_class):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields["managers"].queryset = supervisors
                self.fields["managers"].initial = initial

        return Form

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.instance.pk:
            services.region_set_managers(region=form.instance, managers=form.cleaned_data.get("managers", []))

    def validate_instance(self, obj):
        services.region_validate(region=obj)

    def save_model(self, request, obj, form, change):
        if not request.user.is_platform_operator:
            obj.organization_id = request.user.organization_id
        services.region_save(region=obj)


@admin.register(Team)
class TeamAdmin(TenantAdmin):
    list_display = ("name", "code", "kind", "parent", "leader")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    fields = ("name", "code", "kind", "parent", "leader")

    def validate_instance(self, obj):
        services.team_parent_check(team=obj, parent=obj.parent)


@admin.register(Skill)
class SkillAdmin(TenantAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(AgentProfile)
class AgentProfileAdmin(TenantAdmin):
    list_display = ("user", "team", "status", "max_open_tickets", "supervisor")
    list_filter = ("status", "team")
    filter_horizontal = ("regions", "skills")
    list_select_related = ("user", "team", "supervisor")


class RoleListFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        if self.value() in Role.values:
            return queryset.filter(groups__name=self.value())
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Ops admins manage the staff of their own organization and may grant only the SCRM roles."""

    list_display = ("username", "display_name", "email", "is_active", "last_login")
    list_filter = ("is_active", RoleListFilter)
    search_fields = ("username", "display_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Profile"), {"fields": ("display_name", "first_name", "last_name", "email", "mobile")}),
        (_("Access"), {"fields": ("is_active", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    platform_fieldsets = (
        (None, {"fields": ("username", "password", "organization")}),
        (_("Profile"), {"fields": ("display_name", "first_name", "last_name", "email", "mobile")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    # A platform operator gives a new organization its first ops admin in one form (the console links here with the
    # organization and the role filled in): a user saved without them would belong to no organization.
    platform_add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2", "organization", "groups")}),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            if request.user.is_platform_operator:
                return self.platform_add_fieldsets
            return super().get_fieldsets(request, obj)
        return self.platform_fieldsets if request.user.is_platform_operator else self.fieldsets

    def get_queryset(self, request):
        qs = super().get_queryset(request)  # User.objects: the organization's staff (every one in the console)
        if request.user.is_platform_operator:
            return qs.select_related("organization")
        return qs

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.filter(name__in=Role.values)
            field = super().formfield_for_manytomany(db_field, request, **kwargs)
            field.label = _("Roles")
            field.label_from_instance = lambda group: Role(group.name).label
            return field
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_platform_operator:
            obj.organization_id = request.user.organization_id
            obj.is_superuser = False
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        # Keep is_staff in step with the ops admin role (only ops admins may use this admin).
        services.user_set_roles(user=user, roles=[g.name for g in user.groups.all() if g.name in Role.values])


admin.site.unregister(Group)


class TenantInline(admin.TabularInline):
    """An inline of tenant rows: validated with the organization set (see tenant_form), saved in the parent's."""

    def get_formset(self, request, obj=None, **kwargs):
        organization_id = None if request.user.is_platform_operator else request.user.organization_id
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = tenant_form(formset.form, organization_id)

        class TenantFormSet(formset):
            def save_new(self, form, commit=True):
                # The platform operator's rows take the organization of the group they belong to.
                form.instance.organization_id = organization_id or self.instance.organization_id
                return super().save_new(form, commit)

        return TenantFormSet


class TagInline(TenantInline):
    model = Tag
    extra = 1
    fields = ("name", "color")


@admin.register(TagGroup)
class TagGroupAdmin(TenantAdmin):
    """Ops define the tag groups (消费频次, 产品偏好 ...) and their tags on one page."""

    list_display = ("name", "sort_order")
    inlines = [TagInline]


class ReadOnlyTenantAdmin(TenantAdmin):
    """Audit records: visible to those allowed, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CustomerMerge)
class CustomerMergeAdmin(ReadOnlyTenantAdmin):
    list_display = ("created_at", "primary", "duplicate", "actor")
    list_select_related = ("primary", "duplicate", "actor")


@admin.register(PiiReveal)
class PiiRevealAdmin(ReadOnlyTenantAdmin):
    list_display = ("created_at", "user", "customer", "fields")
    list_select_related = ("user", "customer")
    # Only the users in the (organization-scoped) list: the plain filter offered every organization's users.
    list_filter = (("user", admin.RelatedOnlyFieldListFilter),)
