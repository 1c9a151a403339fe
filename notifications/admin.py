"""Django admin for ops: their organization's notification channels (the SLA ladder's WeCom application and SMS
account), and the outbox of deliveries with a replay."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from notifications.models import NotificationChannelConfig, NotificationDelivery
from notifications.services import notification_delivery_replay
from scrm.admin import ReadOnlyTenantAdmin, TenantAdmin

# Write-only secrets: the form field, the model's setter, the stored (encrypted) column.
_CHANNEL_SECRETS = (("wecom_secret", "set_wecom_secret", "wecom_secret_encrypted"),
                    ("aliyun_access_key_secret", "set_aliyun_access_key_secret", "aliyun_access_key_secret_encrypted"))


class NotificationChannelConfigForm(forms.ModelForm):
    wecom_secret = forms.CharField(label=_("WeCom secret"), required=False, strip=True,
                                   widget=forms.PasswordInput(render_value=False))
    aliyun_access_key_secret = forms.CharField(label=_("Aliyun AccessKey secret"), required=False, strip=True,
                                               widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = NotificationChannelConfig
        fields = ("wecom_corp_id", "wecom_agent_id", "wecom_userid_field", "sms_provider", "aliyun_access_key_id",
                  "aliyun_sign_name", "aliyun_template_code", "aliyun_endpoint")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, _setter, stored in _CHANNEL_SECRETS:
            state = _("Set") if getattr(self.instance, stored, "") else _("Not set")
            self.fields[name].help_text = _("%(state)s. Never shown again: type a new one to replace it, or leave "
                                            "empty to keep it.") % {"state": state}

    def clean(self):
        cleaned = super().clean()
        # Encrypted onto the instance before the model's validation, which needs to know a secret is there.
        for name, setter, _stored in _CHANNEL_SECRETS:
            if cleaned.get(name):
                getattr(self.instance, setter)(cleaned[name])
        return cleaned


@admin.register(NotificationChannelConfig)
class NotificationChannelConfigAdmin(TenantAdmin):
    """Ops set their organization's WeCom application and SMS account for the SLA ladder; what they leave empty
    falls back to the server's environment settings. The secrets are write-only and never listed."""

    form = NotificationChannelConfigForm
    list_display = ("__str__", "wecom_corp_id", "wecom_agent_id", "sms_provider", "aliyun_access_key_id",
                    "updated_at")
    readonly_fields = ("updated_at",)
    exclude = ("wecom_secret_encrypted", "aliyun_access_key_secret_encrypted")
    fieldsets = (
        (_("WeCom application messages"), {
            "fields": ("wecom_corp_id", "wecom_agent_id", "wecom_secret", "wecom_userid_field"),
            "description": _("Leave the corp ID and agent ID empty to use the server's default WeCom application."),
        }),
        (_("SMS"), {
            "fields": ("sms_provider", "aliyun_access_key_id", "aliyun_access_key_secret", "aliyun_sign_name",
                       "aliyun_template_code", "aliyun_endpoint"),
            "description": _("Choose no provider to use the server's default SMS account, if any."),
        }),
        (None, {"fields": ("updated_at",)}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_platform_operator:
            return ((None, {"fields": ("organization",)}), *fieldsets)
        return fieldsets

    def has_add_permission(self, request):
        # One row per organization: once ops have theirs, they edit it.
        if not super().has_add_permission(request):
            return False
        return request.user.is_platform_operator or not NotificationChannelConfig.objects.exists()


@admin.action(description=_("Send the selected failed or dead deliveries again"))
def deliveries_replay(modeladmin, request, queryset):
    done = sum(notification_delivery_replay(delivery=delivery) is not None for delivery in queryset)
    messages.success(request, _("%(n)d deliveries handed to the workers again.") % {"n": done})


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(ReadOnlyTenantAdmin):
    """Deliveries of the outbox: what was sent where, what failed and why (redacted), and a replay."""

    list_display = ("created_at", "channel", "address", "status", "attempts", "next_attempt_at", "error")
    list_filter = ("status", "channel")
    actions = [deliveries_replay]

    @admin.display(description=_("last error"))
    def error(self, obj):
        return obj.last_error_display

    def has_change_permission(self, request, obj=None):
        # Needed for the replay action; the fields stay read-only.
        return request.user.is_superuser and obj is None
