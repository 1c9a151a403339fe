"""Django admin for ops: queues (with their members), ticket types and routing rules, scoped to the admin's
organization like the core app's admin; tickets read-only, for looking things up."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from scrm.admin import ReadOnlyTenantAdmin, TenantAdmin, TenantInline
from tickets.models import CannedResponse, Queue, QueueMembership, RoutingRule, Ticket, TicketEvent, TicketType


class QueueMembershipInline(TenantInline):
    model = QueueMembership
    extra = 1
    fields = ("agent", "last_assigned_at")
    readonly_fields = ("last_assigned_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agent__user")


@admin.register(Queue)
class QueueAdmin(TenantAdmin):
    list_display = ("name", "code", "team", "strategy", "auto_assign")
    list_filter = ("strategy", "team")
    search_fields = ("name", "code")
    filter_horizontal = ("regions", "ticket_types", "required_skills")
    list_select_related = ("team",)
    inlines = [QueueMembershipInline]


@admin.register(TicketType)
class TicketTypeAdmin(TenantAdmin):
    list_display = ("name", "code", "default_queue", "default_priority", "is_active", "sort_order")
    list_editable = ("sort_order",)
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    filter_horizontal = ("required_skills",)
    list_select_related = ("default_queue",)


@admin.register(RoutingRule)
class RoutingRuleAdmin(TenantAdmin):
    """Ops order the rules; the first active rule a new ticket matches decides."""

    list_display = ("position", "name", "is_active", "channel", "ticket_type", "customer_level", "region",
                    "set_queue", "set_priority", "set_type")
    list_display_links = ("name",)
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "channel")
    search_fields = ("name", "keywords")
    filter_horizontal = ("add_tags",)
    list_select_related = ("ticket_type", "region", "set_queue", "set_type")
    fieldsets = (
        (None, {"fields": ("name", "position", "is_active")}),
        (_("When a new ticket matches"), {"fields": ("channel", "ticket_type", "keywords", "customer_level",
                                                     "region")}),
        (_("Then"), {"fields": ("set_queue", "set_priority", "set_type", "add_tags")}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_platform_operator:
            return ((None, {"fields": ("organization",)}), *fieldsets)
        return fieldsets


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    fields = ("created_at", "kind", "actor", "before", "after")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyTenantAdmin):
    list_display = ("number", "subject", "status", "priority", "queue", "assignee", "customer", "created_at")
    list_filter = ("status", "priority", "queue", "channel")
    search_fields = ("number", "subject", "source_ref", "order_number")
    list_select_related = ("queue", "assignee", "customer")
    date_hierarchy = "created_at"
    inlines = [TicketEventInline]


@admin.register(CannedResponse)
class CannedResponseAdmin(TenantAdmin):
    """Reply texts agents insert from the reply box; the body may use the variables listed under it."""

    list_display = ("title", "queue", "is_active", "created_at")
    list_filter = ("is_active", "queue")
    search_fields = ("title", "body")
    list_select_related = ("queue",)


# --- SLA: calendars, policies, targets and the escalation ladder ------------------------------------------------------

from django.contrib import messages  # noqa: E402 - the SLA section is appended as one block
from django.core.exceptions import ValidationError  # noqa: E402

from tickets.models import BusinessCalendar, CalendarDay, EscalationStep, SLAPolicy, SLATarget  # noqa: E402
from tickets.models.sla import escalation_ladder_check  # noqa: E402
from tickets.services.sla import calendar_seed_china_holidays  # noqa: E402


class CalendarDayInline(TenantInline):
    model = CalendarDay
    extra = 1
    fields = ("date", "kind", "name", "spans", "source")
    readonly_fields = ("source",)
    ordering = ("-date",)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(TenantAdmin):
    """Weekly hours as JSON ({"mon": ["09:00-12:00", "13:30-18:00"], ...}), holidays and make-up days below."""

    list_display = ("name", "preset", "time_zone", "follows_china_holidays", "updated_at")
    search_fields = ("name",)
    inlines = [CalendarDayInline]
    actions = ["seed_china_holidays"]

    @admin.action(description=_("Seed the mainland China holidays and make-up working days"))
    def seed_china_holidays(self, request, queryset):
        written = sum(calendar_seed_china_holidays(calendar=calendar) for calendar in queryset)
        self.message_user(request, _("%(count)s days written.") % {"count": written}, messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.save(update_fields=["updated_at"])  # a changed day is a new calendar version


class SLATargetInline(TenantInline):
    model = SLATarget
    extra = 0
    fields = ("priority", "first_response_minutes", "next_response_minutes", "resolution_minutes")


class _LadderFormSet:
    """Mixed into the steps' formset: refuse a ladder whose steps of one metric fire out of order."""

    def clean(self):
        super().clean()
        steps = [form.instance for form in self.forms
                 if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        try:
            escalation_ladder_check(sorted(steps, key=lambda step: step.position))
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class EscalationStepInline(TenantInline):
    model = EscalationStep
    extra = 0
    fields = ("position", "metric", "trigger", "trigger_value", "notify_assignee", "notify_supervisor",
              "notify_team", "reassign_queue", "reassign_to_supervisor", "raise_priority", "via_wecom", "via_sms")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type("LadderFormSet", (_LadderFormSet, formset), {})


@admin.register(SLAPolicy)
class SLAPolicyAdmin(TenantAdmin):
    """Policies are tried in position order; the first whose conditions match a ticket gives its targets."""

    list_display = ("position", "name", "is_active", "calendar", "queue", "ticket_type", "priority",
                    "customer_level", "channel")
    list_display_links = ("name",)
    list_editable = ("position", "is_active")
    list_select_related = ("calendar", "queue", "ticket_type")
    fieldsets = (
        (None, {"fields": ("name", "position", "is_active", "calendar")}),
        (_("Applies to tickets with"), {"fields": ("queue", "ticket_type", "priority", "customer_level",
                                                   "channel")}),
    )
    inlines = [SLATargetInline, EscalationStepInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.save(update_fields=["updated_at"])
