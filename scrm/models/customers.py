"""Customers 360: one customer across every channel, with tags, identities, audit of merges and of PII reveals."""

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Right
from django.utils.translation import gettext_lazy as _

from scrm.platform.tenancy import TenantModel


class Channel(models.TextChoices):
    WECHAT_OA = "wechat_oa", _("WeChat Official Account")
    WECOM = "wecom", _("WeCom")
    YOUZAN = "youzan", _("Youzan")
    DOUYIN = "douyin", _("Douyin shop")
    JD = "jd", _("JD")
    TAOBAO = "taobao", _("Taobao / Tmall")
    PINDUODUO = "pinduoduo", _("Pinduoduo")
    SHOPIFY = "shopify", _("Shopify")
    WOOCOMMERCE = "woocommerce", _("WooCommerce")
    SHOP = "shop", _("Own shop")  # the organization's in-house shop system (the generic shop feed)
    WEB_FORM = "web_form", _("Web form")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    EMAIL = "email", _("Email")
    IMPORT = "import", _("Import")
    MANUAL = "manual", _("Manual")


class TagGroup(TenantModel):
    name = models.CharField(_("name"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("tag group")
        verbose_name_plural = _("tag groups")
        ordering = ["sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="taggroup_org_name_uniq")]

    def __str__(self):
        return self.name


class Tag(TenantModel):
    class Color(models.TextChoices):
        BLUE = "primary", _("Blue")
        GREEN = "success", _("Green")
        RED = "danger", _("Red")
        YELLOW = "warning", _("Yellow")
        CYAN = "info", _("Cyan")
        GREY = "secondary", _("Grey")

    group = models.ForeignKey(TagGroup, on_delete=models.PROTECT, related_name="tags", verbose_name=_("group"))
    name = models.CharField(_("name"), max_length=50)
    color = models.CharField(_("colour"), max_length=16, choices=Color.choices, default=Color.BLUE)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["group__sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="tag_org_name_uniq")]

    def __str__(self):
        return self.name


class Customer(TenantModel):
    class Level(models.TextChoices):
        NORMAL = "normal", _("Normal")
        VIP = "vip", _("VIP")
        SVIP = "svip", _("SVIP")

    display_name = models.CharField(_("display name"), max_length=100)
    real_name = models.CharField(_("real name"), max_length=50, blank=True)
    # E.164 ("+8613812345678"), normalised by scrm.customers.phones; empty when unknown.
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    region = models.ForeignKey(
        "scrm.Region", on_delete=models.SET_NULL, null=True, blank=True, related_name="customers",
        verbose_name=_("region"),
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.NORMAL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_customers",
        verbose_name=_("owner"),
    )
    source_channel = models.CharField(_("source channel"), max_length=16, choices=Channel.choices,
                                      default=Channel.MANUAL)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, through="CustomerTag", related_name="customers", verbose_name=_("tags"))
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # A merged duplicate stays as a tombstone pointing at the customer it was merged into; lists hide it.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("merged into")
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("reveal_customer_pii", _("Can see customers' full mobile and real name")),
            # Bulk export (the export page and GET /api/v1/customers/export/): one permission for both.
            ("export_customer", _("Can export customers in bulk")),
        ]
        indexes = [
            models.Index(fields=["organization", "mobile"], name="customer_org_mobile_idx"),
            # The search by a mobile's last four digits ("尾号 5678"): `Right("mobile", 4)` in the query.
            models.Index(F("organization"), Right("mobile", 4), name="customer_org_mobile_last4_idx"),
            models.Index(fields=["organization", "-created_at"], name="customer_org_created_idx"),
            models.Index(fields=["organization", "-last_contact_at"], name="customer_org_contact_idx"),
            models.Index(fields=["organization", "display_name"], name="customer_org_name_idx"),
        ]

    def __str__(self):
        return self.display_name


class CustomerTag(TenantModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="customer_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="customer_tags")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer tag")
        verbose_name_plural = _("customer tags")
        constraints = [models.UniqueConstraint(fields=["organization", "customer", "tag"],
                                               name="customertag_org_customer_tag_uniq")]
        indexes = [models.Index(fields=["organization", "tag", "customer"], name="customertag_org_tag_idx")]


class ChannelIdentity(TenantModel):
    """Someone on one channel: an openid, an external_userid, a shop buyer id. Belongs to exactly one customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities",
                                 verbose_name=_("customer"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    app_id = models.CharField(_("app id"), max_length=64, blank=True, default="")
    external_id = models.CharField(_("external id"), max_length=128)
    union_id = models.CharField(_("union id"), max_length=128, blank=True, default="")
    profile = models.JSONField(_("profile"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel identity")
        verbose_name_plural = _("channel identities")
        constraints = [
            models.UniqueConstraint(fields=["organization", "channel", "app_id", "external_id"],
                                    name="identity_org_channel_app_ext_uniq"),
        ]
        indexes = [
            models.Index(fields=["organization", "union_id"], name="identity_org_union_idx"),
            models.Index(fields=["organization", "external_id"], name="identity_org_external_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()}:{self.external_id}"


class CustomerMerge(TenantModel):
    """The audit record of a merge: who merged what into whom, what the duplicate was, and what moved."""

    primary = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges_received",
                                verbose_name=_("primary"))
    duplicate = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges_given",
                                  verbose_name=_("duplicate"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("merged by"))
    snapshot = models.JSONField(_("duplicate as it was"), default=dict)
    # {relation label: {"moved": n, "left": n, "field": the foreign key's name, "ids": [the rows moved]}}; the ids
    # (kept since undo exists) are what an undo moves back.
    moved = models.JSONField(_("rows moved"), default=dict)
    # The primary's fields the merge filled from the duplicate, as they were before ({name: old value}), and the
    # duplicate's tags dropped because the primary had them: what an undo puts back.
    absorbed = models.JSONField(_("fields filled"), default=dict, blank=True)
    created_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("undone by"))

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-created_at"]


class CustomerConflict(TenantModel):
    """What `customer_resolve` learned about a customer that belongs to someone else: a mobile or union id arriving
    on one customer's channel identity while another live customer holds it. Shown beside the duplicates on both
    customers' pages and on their merge screen; closed by merging them (or when either is merged away)."""

    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        UNION_ID = "union_id", _("Union ID")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="conflicts",
                                 verbose_name=_("customer"))
    other = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("held by"))
    kind = models.CharField(_("what"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=128)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    created_at = models.DateTimeField(_("flagged at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer conflict")
        verbose_name_plural = _("customer conflicts")
        constraints = [
            # One open flag per customer, other and value: the same message arriving again flags nothing new.
            models.UniqueConstraint(fields=["organization", "customer", "other", "kind", "value"],
                                    condition=models.Q(resolved_at__isnull=True), name="customerconflict_open_uniq"),
        ]


class PiiReveal(TenantModel):
    """One look at a customer's unmasked personal data: who, whom, which field, when.

    An audit record outlives its customer (an undone import deletes the customers it created): the link is cleared
    and the name the customer had is kept.
    """

    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, related_name="pii_reveals",
                                 verbose_name=_("customer"))
    customer_name = models.CharField(_("customer name"), max_length=100, blank=True, default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("user"))
    fields = models.CharField(_("fields"), max_length=100)
    created_at = models.DateTimeField(_("revealed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal data reveal")
        verbose_name_plural = _("personal data reveals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="piireveal_org_created_idx")]


class Segment(TenantModel):
    """A saved customer filter (the list page's query string) with a name; its count is always live."""

    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filter"), max_length=1000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="segment_org_name_uniq")]

    def __str__(self):
        return self.name
