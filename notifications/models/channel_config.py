"""One organization's own SLA escalation channels, edited by ops in the admin: the WeCom application that sends
its staff messages and its SMS provider (Aliyun SMS). An organization without a complete row uses the environment
settings (WECOM_*, SMS_PROVIDER, ALIYUN_SMS_*); see notifications.senders.

The two secrets are stored encrypted with scrm.platform.crypto and never shown again: set them with `set_wecom_secret` /
`set_aliyun_access_key_secret`, read them with the properties of the same name.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from scrm.platform.crypto import secret_decrypt, secret_encrypt
from scrm.platform.tenancy import TenantModel

MSG_WECOM_INCOMPLETE = _("WeCom needs the corp ID, the agent ID and the secret; missing: %(missing)s.")
MSG_SMS_INCOMPLETE = _("Aliyun SMS needs the AccessKey ID, the AccessKey secret, the sign name, the template code "
                       "and the endpoint; missing: %(missing)s.")
MSG_SMS_ENDPOINT = _("The SMS endpoint is an http:// or https:// address.")

DEFAULT_ALIYUN_SMS_ENDPOINT = "https://dysmsapi.aliyuncs.com/"


class NotificationChannelConfig(TenantModel):
    """An organization's WeCom application and SMS provider for the SLA escalation ladder (one row at most)."""

    class UseridField(models.TextChoices):
        USERNAME = "username", _("Username")
        EMAIL = "email", _("Email address")
        MOBILE = "mobile", _("Mobile number")

    class SMSProvider(models.TextChoices):
        NONE = "", _("None (use the server default)")
        ALIYUN = "aliyun", _("Aliyun SMS")

    wecom_corp_id = models.CharField(_("WeCom corp ID"), max_length=64, blank=True,
                                     help_text=_("企业ID, from “My company” in the WeCom admin console."))
    wecom_agent_id = models.PositiveIntegerField(_("WeCom agent ID"), null=True, blank=True,
                                                 help_text=_("AgentId of the application that sends the messages."))
    wecom_secret_encrypted = models.TextField(_("WeCom secret (encrypted)"), blank=True, editable=False)
    wecom_userid_field = models.CharField(
        _("WeCom userid is the user's"), max_length=16, choices=UseridField.choices, default=UseridField.USERNAME,
        help_text=_("Which field of a staff member holds their WeCom userid."))
    sms_provider = models.CharField(_("SMS provider"), max_length=16, choices=SMSProvider.choices, blank=True,
                                    default=SMSProvider.NONE)
    aliyun_access_key_id = models.CharField(_("Aliyun AccessKey ID"), max_length=128, blank=True)
    aliyun_access_key_secret_encrypted = models.TextField(_("Aliyun AccessKey secret (encrypted)"), blank=True,
                                                          editable=False)
    aliyun_sign_name = models.CharField(_("SMS sign name"), max_length=64, blank=True,
                                        help_text=_("The approved signature (签名), e.g. 星河家电."))
    aliyun_template_code = models.CharField(
        _("SMS template code"), max_length=64, blank=True,
        help_text=_("An approved template whose one variable is ${content}, e.g. SMS_123456789."))
    aliyun_endpoint = models.CharField(_("SMS endpoint"), max_length=255, blank=True,
                                       default=DEFAULT_ALIYUN_SMS_ENDPOINT)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification channels")
        verbose_name_plural = _("notification channels")
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="tickets_notifychannels_one_per_org"),
        ]

    def __str__(self):
        return str(_("Notification channels"))

    def __repr__(self):  # never the secrets, not even encrypted
        return f"<NotificationChannelConfig org={self.organization_id} wecom={self.wecom_corp_id!r} " \
               f"sms={self.sms_provider!r}>"

    @property
    def wecom_secret(self):
        return secret_decrypt(self.wecom_secret_encrypted)

    def set_wecom_secret(self, value):
        self.wecom_secret_encrypted = secret_encrypt(value)

    @property
    def aliyun_access_key_secret(self):
        return secret_decrypt(self.aliyun_access_key_secret_encrypted)

    def set_aliyun_access_key_secret(self, value):
        self.aliyun_access_key_secret_encrypted = secret_encrypt(value)

    @property
    def wecom_enabled(self):
        """This organization sends through its own WeCom application (else the environment's, if any)."""
        return bool(self.wecom_corp_id and self.wecom_agent_id and self.wecom_secret_encrypted)

    @property
    def sms_enabled(self):
        """This organization sends through its own SMS account (else the environment's, if any)."""
        return self.sms_provider == self.SMSProvider.ALIYUN and all(
            (self.aliyun_access_key_id, self.aliyun_access_key_secret_encrypted, self.aliyun_sign_name,
             self.aliyun_template_code, self.aliyun_endpoint))

    def clean(self):
        errors = {}
        wecom = {"wecom_corp_id": self.wecom_corp_id, "wecom_agent_id": self.wecom_agent_id,
                 "wecom_secret": self.wecom_secret_encrypted}
        if self.wecom_corp_id or self.wecom_agent_id:
            missing = [name for name, value in wecom.items() if not value]
            if missing:
                labels = {"wecom_corp_id": _("corp ID"), "wecom_agent_id": _("agent ID"), "wecom_secret": _("secret")}
                message = MSG_WECOM_INCOMPLETE % {"missing": ", ".join(str(labels[n]) for n in missing)}
                errors["wecom_corp_id" if "wecom_corp_id" in missing else missing[0]] = message
        if self.sms_provider == self.SMSProvider.ALIYUN:
            labels = {"aliyun_access_key_id": _("AccessKey ID"), "aliyun_access_key_secret": _("AccessKey secret"),
                      "aliyun_sign_name": _("sign name"), "aliyun_template_code": _("template code"),
                      "aliyun_endpoint": _("endpoint")}
            values = {"aliyun_access_key_id": self.aliyun_access_key_id,
                      "aliyun_access_key_secret": self.aliyun_access_key_secret_encrypted,
                      "aliyun_sign_name": self.aliyun_sign_name, "aliyun_template_code": self.aliyun_template_code,
                      "aliyun_endpoint": self.aliyun_endpoint}
            missing = [name for name, value in values.items() if not value]
            if missing:
                errors["sms_provider"] = MSG_SMS_INCOMPLETE % {
                    "missing": ", ".join(str(labels[n]) for n in missing)}
        if self.aliyun_endpoint and not self.aliyun_endpoint.startswith(("https://", "http://")):
            errors["aliyun_endpoint"] = MSG_SMS_ENDPOINT
        if errors:
            raise ValidationError(errors)
