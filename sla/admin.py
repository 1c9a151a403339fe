"""Django admin for ops: their organization's business calendars (with the China holidays seeded on demand) and SLA
policies with their targets and escalation ladder; supervisors read them."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from scrm.admin import TenantAdmin, TenantInline
from sla.models import BusinessCalendar, CalendarDay, EscalationStep, SLAPolicy, SLATarget, escalation_ladder_check
from sla.services import calendar_seed_china_holidays


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
