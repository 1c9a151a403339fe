"""Channel accounts, the raw inbound event store, downloaded media and the outbox of replies."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from scrm.platform.crypto import secret_decrypt
from scrm.platform.outbox import OutboxModel, States, due_index
from scrm.platform.tenancy import TenantModel


class ChannelAccount(TenantModel):
    """One WeChat Official Account, WeCom application or online store of an organization. The slug in the callback
    URL maps to exactly one account (and so one organization): it is unique across all organizations. A store's
    app id is its id on the platform (Youzan's client_id, Douyin's app_key, the store code of an in-house shop) and
    its secret the key its callbacks are signed with."""

    class Kind(models.TextChoices):
        WECHAT_OA = "wechat_oa", _("WeChat Official Account")
        WECOM = "wecom", _("WeCom")
        YOUZAN = "youzan", _("Youzan store")
        DOUYIN = "douyin", _("Douyin shop")
        SHOPIFY = "shopify", _("Shopify store")
        WOOCOMMERCE = "woocommerce", _("WooCommerce store")
        GENERIC = "generic", _("Own shop system (signed feed)")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=64, unique=True,
                            help_text=_("Part of the callback URL; unique across the platform."))
    app_id = models.CharField(_("app id / corp id"), max_length=64)
    agent_id = models.CharField(_("agent id"), max_length=32, blank=True,
                                help_text=_("WeCom application id (AgentId); empty for an Official Account."))
    # Encrypted at rest (scrm.platform.crypto); read through the properties below, never shown again.
    token_encrypted = models.TextField(_("token (encrypted)"), blank=True, editable=False)
    aes_key_encrypted = models.TextField(_("EncodingAESKey (encrypted)"), blank=True, editable=False)
    secret_encrypted = models.TextField(_("app secret (encrypted)"), blank=True, editable=False)
    subscribe_reply = models.TextField(_("reply to a new follower"), blank=True,
                                       help_text=_("Sent as the passive reply to a subscribe event; empty: none."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "app_id", "agent_id"],
                                    name="channelaccount_org_app_uniq"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def __repr__(self):  # never the secrets, not even encrypted
        return f"<ChannelAccount {self.pk} {self.slug}>"

    @property
    def token(self):
        return self._plain("token_encrypted")

    @property
    def aes_key(self):
        return self._plain("aes_key_encrypted")

    @property
    def secret(self):
        return self._plain("secret_encrypted")

    def _plain(self, field):
        """The decrypted value of a secret field, decrypted once per instance and ciphertext: the web processes
        keep their accounts (`account_for_slug`) and read the token and key on every callback."""
        ciphertext = getattr(self, field)
        plain = self.__dict__.setdefault("_plain_secrets", {})
        cached = plain.get(field)
        if cached is None or cached[0] != ciphertext:
            cached = plain[field] = (ciphertext, secret_decrypt(ciphertext))
        return cached[1]

    def __getstate__(self):  # a pickled account (a cache, a task argument) never carries the plaintexts
        state = super().__getstate__()
        state.pop("_plain_secrets", None)
        return state

    @property
    def is_shop(self):
        return self.kind in SHOP_KINDS

    @property
    def channel(self):
        """The scrm Channel value of this account's tickets, identities and store (the same strings; an in-house
        shop on the generic feed is `shop`)."""
        return "shop" if self.kind == self.Kind.GENERIC else self.kind

    @property
    def hook_path(self):
        if self.is_shop:
            return f"/hooks/shop/{self.slug}/"
        return f"/hooks/{'wechat' if self.kind == self.Kind.WECHAT_OA else 'wecom'}/{self.slug}/"


WECHAT_KINDS = (ChannelAccount.Kind.WECHAT_OA, ChannelAccount.Kind.WECOM)
SHOP_KINDS = (ChannelAccount.Kind.YOUZAN, ChannelAccount.Kind.DOUYIN, ChannelAccount.Kind.SHOPIFY,
              ChannelAccount.Kind.WOOCOMMERCE, ChannelAccount.Kind.GENERIC)


EVENT_STATES = States(pending="received", inflight="processing", done="processed", failed="failed", dead="dead")
MEDIA_STATES = States(pending="pending", inflight="downloading", done="downloaded", failed="failed", dead="dead")


class InboundEvent(OutboxModel, TenantModel):
    """A callback as it arrived (decrypted), stored before anything else happens. The unique dedupe key per
    account turns the platform's retries into no-ops. Its processing is the outbox kind "inbound_event"."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSING = "processing", _("processing")
        PROCESSED = "processed", _("processed")
        FAILED = "failed", _("failed")
        IGNORED = "ignored", _("ignored")
        DEAD = "dead", _("dead")

    # The callback's INSERT is the product's hottest write. Its organization and account are relations for Django
    # only (`db_constraint=False`): a checked foreign key makes every callback take a share lock on the same
    # organization and account rows (a MultiXact under concurrency) for rows that cannot be missing — the INSERT
    # reads the organization itself (it must be active) and the account comes from the callback's own URL. The
    # organization has no index of its own: every query and Django's cascades lead with it through the composite
    # indexes below.
    organization = models.ForeignKey("scrm.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organization"), db_index=False, db_constraint=False)
    account = models.ForeignKey(ChannelAccount, on_delete=models.PROTECT, related_name="events",
                                verbose_name=_("account"), db_constraint=False)
    kind = models.CharField(_("kind"), max_length=64, help_text=_("MsgType, or event:<Event> for events."))
    dedupe_key = models.CharField(_("dedupe key"), max_length=200)
    from_user = models.CharField(_("from"), max_length=128, blank=True)
    raw = models.TextField(_("raw payload (decrypted)"))
    fields = models.JSONField(_("fields"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    # Both are empty when a callback stores the event (the worker fills them): their indexes are partial, so the
    # callback's INSERT does not write an index entry for nothing.
    customer = models.ForeignKey("scrm.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("customer"), db_index=False)
    comment = models.ForeignKey("tickets.Comment", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("ticket message"), db_index=False)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        constraints = [
            models.UniqueConstraint(fields=["organization", "account", "dedupe_key"], name="inboundevent_dedupe_uniq"),
        ]
        indexes = [
            models.Index(fields=["organization", "account", "status", "-received_at"], name="inboundevent_status_idx"),
            models.Index(fields=["organization", "customer", "-received_at"], name="inboundevent_customer_idx",
                         condition=models.Q(customer__isnull=False)),
            models.Index(fields=["comment"], name="inboundevent_comment_idx",
                         condition=models.Q(comment__isnull=False)),
            # The outbox sweeper's: small, only rows still waiting or in flight.
            due_index("inboundevent_due_idx", EVENT_STATES),
        ]

    def __str__(self):
        return f"{self.account_id}:{self.kind}:{self.dedupe_key}"


class InboundMedia(OutboxModel, TenantModel):
    """A picture, voice or video a customer sent, downloaded from WeChat's media API after the message landed (the
    outbox kind "wechat_media")."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DOWNLOADING = "downloading", _("downloading")
        DOWNLOADED = "downloaded", _("downloaded")
        FAILED = "failed", _("failed, will retry")
        DEAD = "dead", _("failed")

    event = models.ForeignKey(InboundEvent, on_delete=models.CASCADE, related_name="media", verbose_name=_("event"))
    comment = models.ForeignKey("tickets.Comment", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("ticket message"))
    media_id = models.CharField(_("media id"), max_length=200)
    file = models.FileField(_("file"), upload_to="channels/media/%Y/%m/", blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbound media")
        verbose_name_plural = _("inbound media")
        constraints = [
            models.UniqueConstraint(fields=["organization", "event", "media_id"], name="inboundmedia_uniq"),
        ]
        indexes = [due_index("inboundmedia_due_idx", MEDIA_STATES)]


class OutboundMessage(OutboxModel, TenantModel):
    """One row per agent reply to send to WeChat (the outbox kind "wechat_reply"), so a send survives a crash."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        DEAD = "dead", _("dead")

    account = models.ForeignKey(ChannelAccount, on_delete=models.PROTECT, related_name="outbound",
                                verbose_name=_("account"))
    comment = models.ForeignKey("tickets.Comment", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("reply"))
    to_user = models.CharField(_("to"), max_length=128)
    body = models.TextField(_("body"))
    # A template message (sent outside the 48-hour window): its WeChat template id and the filled fields
    # ({key: {"value": text}}); empty for an ordinary reply.
    template_id = models.CharField(_("template ID"), max_length=128, blank=True, default="")
    template_data = models.JSONField(_("template fields"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    errcode = models.IntegerField(_("WeChat error code"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        constraints = [
            models.UniqueConstraint(fields=["organization", "comment"], name="outboundmessage_comment_uniq"),
        ]
        indexes = [models.Index(fields=["organization", "account", "status"], name="outbound_status_idx"),
                   due_index("outbound_due_idx")]


FETCH_STATES = States(pending="pending", inflight="fetching", done="fetched", failed="failed", dead="dead")


class ShopOrderFetch(OutboxModel, TenantModel):
    """An order whose details a store's push did not carry (Douyin pushes ids and a status only), to fetch from the
    platform's API through the outbox (kind "shop_order_fetch"): one row per order, queued again when a newer push
    arrives, so the ledger ends with the details of the order's latest state."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        FETCHING = "fetching", _("fetching")
        FETCHED = "fetched", _("fetched")
        FAILED = "failed", _("failed, will retry")
        DEAD = "dead", _("failed")

    account = models.ForeignKey(ChannelAccount, on_delete=models.PROTECT, related_name="order_fetches",
                                verbose_name=_("account"))
    order_number = models.CharField(_("order number"), max_length=64)
    shop_ref = models.CharField(_("shop id on the platform"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    fetched_at = models.DateTimeField(_("fetched at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order details fetch")
        verbose_name_plural = _("order details fetches")
        constraints = [
            models.UniqueConstraint(fields=["organization", "account", "order_number"],
                                    name="shoporderfetch_order_uniq"),
        ]
        indexes = [due_index("shoporderfetch_due_idx", FETCH_STATES)]

    def __str__(self):
        return f"{self.account_id}:{self.order_number}"


class WeChatTemplate(TenantModel):
    """A WeChat template message an Official Account may send outside the 48-hour customer-service window: the
    template's id in WeChat's console and, per field of the template ("first", "keyword1", "remark"), the text to
    put in it, with placeholders filled from the ticket ({ticket_number}, {ticket_subject}, {customer_name},
    {agent_name}) and the agent's own words ({text}). Configured per account on the account's page."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="templates",
                                verbose_name=_("account"))
    name = models.CharField(_("name"), max_length=100)
    template_id = models.CharField(_("template ID"), max_length=128)
    # [[field key, text with placeholders], ...] in the template's order.
    fields = models.JSONField(_("fields"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("WeChat template message")
        verbose_name_plural = _("WeChat template messages")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "account", "name"],
                                               name="wechattemplate_account_name_uniq")]

    def __str__(self):
        return self.name
