from django import forms
from django.utils.translation import gettext_lazy as _

from channels_ingest.models import SHOP_KINDS, ChannelAccount
from scrm.forms import bootstrap
from scrm.text import CleanCharField

_SECRET_HELP = _("Stored encrypted and never shown again. Leave empty to keep the current value.")


class ChannelAccountForm(forms.Form):
    """Add or edit an account. Secrets are write-only: an edit shows whether each is set and offers to replace it."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ChannelAccount.Kind.choices)
    name = CleanCharField(label=_("Name"), max_length=100)
    slug = forms.SlugField(label=_("Slug"), max_length=64,
                           help_text=_("Part of the callback URL, unique on the platform, e.g. xinghe-oa."))
    app_id = forms.CharField(label=_("App id / corp id"), max_length=64,
                             help_text=_("For a store: Youzan's client_id, Douyin's app_key, the Shopify shop domain, "
                                         "the WooCommerce site address, or your own shop system's store code."))
    agent_id = forms.CharField(label=_("Agent id (WeCom)"), max_length=32, required=False)
    token = forms.CharField(label=_("Token"), max_length=32, required=False,
                            widget=forms.PasswordInput(render_value=False))
    aes_key = forms.CharField(label=_("EncodingAESKey"), max_length=43, required=False,
                              widget=forms.PasswordInput(render_value=False))
    secret = forms.CharField(label=_("App secret"), max_length=128, required=False,
                             help_text=_("For a store: the secret its callbacks are signed with."),
                             widget=forms.PasswordInput(render_value=False))
    subscribe_reply = CleanCharField(label=_("Reply to a new follower"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        bootstrap(self)
        if account is not None:
            self.fields["kind"].disabled = True
            for name, stored in (("token", account.token_encrypted), ("aes_key", account.aes_key_encrypted),
                                 ("secret", account.secret_encrypted)):
                self.fields[name].help_text = _SECRET_HELP
                self.fields[name].is_set = bool(stored)

    def clean(self):
        """A new WeChat account needs its token and EncodingAESKey; a new store its signing secret."""
        data = super().clean()
        if self.account is None:
            kind = data.get("kind")
            wanted = ("secret",) if kind in SHOP_KINDS else ("token", "aes_key")
            for name in wanted:
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, forms.Field.default_error_messages["required"])
        return data
