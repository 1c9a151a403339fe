"""Django admin for ops and the platform operator: accounts (secrets write-only), events read-only with a replay
action, the outbox read-only."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from channels_ingest.errors import ChannelError
from channels_ingest.models import ChannelAccount, InboundEvent, InboundMedia, OutboundMessage
from channels_ingest.services import event_replay
from channels_ingest.services.processing import account_forget
from scrm.admin import ReadOnlyTenantAdmin, TenantAdmin
from scrm.platform.crypto import secret_encrypt

_WRITE_ONLY = {"token": _("Token"), "aes_key": _("EncodingAESKey"), "secret": _("App secret")}


class ChannelAccountAdminForm(forms.ModelForm):
    token = forms.CharField(label=_("Token"), required=False, widget=forms.PasswordInput(render_value=False))
    aes_key = forms.CharField(label=_("EncodingAESKey"), required=False,
                              widget=forms.PasswordInput(render_value=False))
    secret = forms.CharField(label=_("App secret"), required=False, widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = ChannelAccount
        fields = ("name", "kind", "slug", "app_id", "agent_id", "subscribe_reply", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in _WRITE_ONLY:
            stored = getattr(self.instance, f"{name}_encrypted", "")
            state = _("set") if stored else _("not set")
            self.fields[name].help_text = _("%(state)s. Never shown again; leave empty to keep it.") % {
                "state": state}
        if not self.instance.pk:
            self.fields["token"].required = self.fields["aes_key"].required = True


@admin.register(ChannelAccount)
class ChannelAccountAdmin(TenantAdmin):
    form = ChannelAccountAdminForm
    list_display = ("name", "kind", "slug", "app_id", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug", "app_id")
    # The ciphertexts are never displayed, even read-only.
    exclude = ("token_encrypted", "aes_key_encrypted", "secret_encrypted")

    def save_model(self, request, obj, form, change):
        for name, field in (("token", "token_encrypted"), ("aes_key", "aes_key_encrypted"),
                            ("secret", "secret_encrypted")):
            if form.cleaned_data.get(name):
                setattr(obj, field, secret_encrypt(form.cleaned_data[name]))
        super().save_model(request, obj, form, change)
        account_forget(obj.slug, *form.initial.get("slug", "").split())


@admin.action(description=_("Replay the selected failed or dead events"))
def replay_events(modeladmin, request, queryset):
    done = 0
    for event in queryset:
        try:
            event_replay(event=event)
            done += 1
        except ChannelError as exc:
            messages.warning(request, f"{event}: {exc}")
    messages.success(request, _("%(n)d events sent to the workers again.") % {"n": done})


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyTenantAdmin):
    list_display = ("received_at", "account", "kind", "from_user", "status", "attempts")
    list_filter = ("status", "kind", "account")
    search_fields = ("dedupe_key", "from_user")
    list_select_related = ("account",)
    actions = [replay_events]

    def has_change_permission(self, request, obj=None):
        # Needed for the replay action; the fields stay read-only.
        return request.user.has_perm("channels_ingest.change_inboundevent") and obj is None


@admin.register(InboundMedia)
class InboundMediaAdmin(ReadOnlyTenantAdmin):
    list_display = ("created_at", "event", "media_id", "content_type", "size", "status")
    list_filter = ("status",)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyTenantAdmin):
    list_display = ("created_at", "account", "to_user", "status", "attempts", "errcode", "sent_at")
    list_filter = ("status", "account")
    list_select_related = ("account",)
