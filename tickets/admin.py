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
