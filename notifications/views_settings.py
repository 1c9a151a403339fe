"""The notification channels page of the settings module: the organization's WeCom application and SMS account
(secrets write-only: "set" is all a page ever says of them), the server's email, and a test message on any channel
sent through the outbox with its delivery's state. Ops admins only; every write is a service, audited."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from notifications.errors import NotificationError
from notifications.models import Notification, NotificationChannelConfig, NotificationDelivery
from notifications.senders import sms_settings, wecom_configured
from notifications.services import CHANNEL_FIELDS, notification_channel_test, notification_channels_save
from scrm.forms import bootstrap
from scrm.models import SettingsChange
from scrm.platform.access import ModuleRequiredMixin

MSG_CHANNELS_SAVED = _("Notification channels saved.")
MSG_TEST_QUEUED = _("Test message queued for %(address)s: its state is shown below.")
MSG_TEST_NOT_CONFIGURED = _("%(channel)s is not configured for your organization or the server: save its "
                            "settings first.")


def user_configures_notification_channels(user):
    return (user.is_authenticated and user.organization_id is not None
            and user.has_perm("notifications.change_notificationchannelconfig")
            and user.has_perm("notifications.add_notificationchannelconfig"))


class NotificationChannelsForm(forms.ModelForm):
    wecom_secret = forms.CharField(label=_("WeCom secret"), required=False, strip=True,
                                   widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    aliyun_access_key_secret = forms.CharField(
        label=_("Aliyun AccessKey secret"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))

    WECOM = ("wecom_corp_id", "wecom_agent_id", "wecom_secret", "wecom_userid_field")
    SMS = ("sms_provider", "aliyun_access_key_id", "aliyun_access_key_secret", "aliyun_sign_name",
           "aliyun_template_code", "aliyun_endpoint")

    class Meta:
        model = NotificationChannelConfig
        fields = CHANNEL_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        self.fields["wecom_secret"].stored = bool(self.instance.wecom_secret_encrypted)
        self.fields["aliyun_access_key_secret"].stored = bool(self.instance.aliyun_access_key_secret_encrypted)

    def _post_clean(self):
        pass  # the service validates the model with the secrets it was given

    def wecom(self):
        return [self[name] for name in self.WECOM]

    def sms(self):
        return [self[name] for name in self.SMS]


class ChannelTestForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=NotificationDelivery.Channel.choices)
    address = forms.CharField(label=_("Send to"), max_length=254, required=False,
                              help_text=_("An email address, a WeCom userid or a mobile number; empty: your own."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class _ChannelsPage(ModuleRequiredMixin):
    module = "settings"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_configures_notification_channels(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def config():
        return NotificationChannelConfig.objects.first() or NotificationChannelConfig()


class NotificationChannelsView(_ChannelsPage, TemplateView):
    template_name = "notifications/channel_settings.html"

    def get(self, request):
        return self.render_to_response(self._context(NotificationChannelsForm(instance=self.config())))

    def post(self, request):
        form = NotificationChannelsForm(request.POST, instance=self.config())
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                notification_channels_save(organization=request.user.organization, by=request.user, **data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, MSG_CHANNELS_SAVED)
                return redirect("notifications:channel-settings")
        return self.render_to_response(self._context(form), status=400)

    def _context(self, form, test_form=None):
        config = form.instance
        tests = (NotificationDelivery.objects.filter(notification__kind=Notification.Kind.CHANNEL_TEST)
                 .order_by("-created_at", "-pk")[:5])
        changes = (SettingsChange.objects.filter(subject="notifications.notificationchannelconfig",
                                                 subject_id=config.pk).select_related("by")[:20]
                   if config.pk else [])
        return self.get_context_data(
            form=form, test_form=test_form or ChannelTestForm(), tests=tests, changes=changes,
            email_from=settings.DEFAULT_FROM_EMAIL,
            email_console=settings.EMAIL_BACKEND.endswith("console.EmailBackend"),
            wecom_on=wecom_configured(self.request.user.organization_id),
            sms_on=bool(sms_settings(self.request.user.organization_id).provider))


class NotificationChannelTestView(NotificationChannelsView, View):
    """POST a channel (and an address): a test message through the outbox."""

    def get(self, request):
        return redirect("notifications:channel-settings")

    def post(self, request):
        form = ChannelTestForm(request.POST)
        page_form = NotificationChannelsForm(instance=self.config())
        if form.is_valid():
            channel = form.cleaned_data["channel"]
            organization_id = request.user.organization_id
            configured = {NotificationDelivery.Channel.WECOM: wecom_configured(organization_id),
                          NotificationDelivery.Channel.SMS: bool(sms_settings(organization_id).provider)}
            if not configured.get(channel, True):
                form.add_error("channel", MSG_TEST_NOT_CONFIGURED % {
                    "channel": NotificationDelivery.Channel(channel).label})
            else:
                try:
                    delivery = notification_channel_test(
                        organization=request.user.organization, by=request.user, channel=channel,
                        address=form.cleaned_data["address"], url=reverse("notifications:channel-settings"))
                except NotificationError as exc:
                    form.add_error("address", str(exc))
                else:
                    messages.success(request, MSG_TEST_QUEUED % {"address": delivery.address})
                    return redirect("notifications:channel-settings")
        return self.render_to_response(self._context(page_form, form), status=400)
