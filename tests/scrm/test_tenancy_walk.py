"""Every URL that names an object, walked as a user of organization A with the ids of organization B's objects:
each answers 403 or 404 (or the admin's redirect for a missing object) and shows nothing of B.

The patterns come from the URLconf (the API's from its routers), so a new page that names an object is walked
too, and this test fails until it says which model that id belongs to."""

import datetime
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from scrm.models import Role
from scrm.platform.tenancy import TenantModel, platform_scope
from tests.tenancy import api_token, tenant_pair

pytestmark = pytest.mark.django_db

# The model an id in the path belongs to: (path prefix, name of the id) -> model; the longest prefix decides.
MODEL_OF = {
    ("api/v1/tickets/", "pk"): "tickets.Ticket",
    ("api/v1/^regions", "pk"): "scrm.Region",
    ("api/v1/^teams", "pk"): "scrm.Team",
    ("api/v1/^users", "pk"): "scrm.User",
    ("api/v1/^customers", "pk"): "scrm.Customer",
    ("settings/channels/", "pk"): "channels_ingest.ChannelAccount",
    ("settings/channels/", "event_pk"): "channels_ingest.InboundEvent",
    ("settings/channels/", "outbound_pk"): "channels_ingest.OutboundMessage",
    ("settings/channels/", "template_pk"): "channels_ingest.WeChatTemplate",
    ("tickets/", "pk"): "tickets.Ticket",
    ("tickets/", "canned_pk"): "tickets.CannedResponse",
    ("tickets/", "comment_id"): "tickets.Comment",
    ("tickets/settings/canned/", "pk"): "tickets.CannedResponse",
    ("tickets/settings/types/", "pk"): "tickets.TicketType",
    ("tickets/settings/queues/", "pk"): "tickets.Queue",
    ("tickets/settings/rules/", "pk"): "tickets.RoutingRule",
    ("notifications/", "pk"): "notifications.Notification",
    ("files/attachments/", "pk"): "tickets.Attachment",
    ("customers/import/", "pk"): "scrm.CustomerImport",
    ("customers/export/", "pk"): "scrm.CustomerExport",
    ("customers/merges/", "pk"): "scrm.CustomerMerge",
    ("customers/", "pk"): "scrm.Customer",
    ("settings/roles/", "pk"): "scrm.CustomRole",
    ("settings/tags/", "pk"): "scrm.Tag",
    ("settings/tags/groups/", "pk"): "scrm.TagGroup",
    ("settings/skills/", "pk"): "scrm.Skill",
    ("settings/regions/", "pk"): "scrm.Region",
    ("settings/teams/", "pk"): "scrm.Team",
    ("settings/users/", "pk"): "scrm.User",
    ("settings/agents/", "pk"): "scrm.AgentProfile",
    ("sla/policies/", "pk"): "sla.SLAPolicy",
    ("sla/calendars/", "pk"): "sla.BusinessCalendar",
    ("sla/calendars/", "day_pk"): "sla.CalendarDay",
    ("settlement/orders/", "pk"): "settlement.Order",
    ("api/v1/^orders", "pk"): "settlement.Order",
    ("api/v1/^refunds", "pk"): "settlement.Refund",
    ("api/v1/^aftersales", "pk"): "settlement.AfterSale",
    ("forms/", "pk"): "forms_builder.Form",
    ("api/v1/forms/", "slug"): "forms_builder.Form",
    ("forms/", "submission_pk"): "forms_builder.FormSubmission",
    ("forms/", "file_pk"): "forms_builder.FormFile",
    ("forms/", "delivery_pk"): "forms_builder.FormWebhookDelivery",
    ("settlement/statements/", "pk"): "settlement.StatementImport",
    ("settlement/channels/", "pk"): "settlement.PaymentChannel",
    ("api/v1/^statements", "pk"): "settlement.StatementImport",
    ("settlement/discrepancies/", "pk"): "settlement.Discrepancy",
    ("api/v1/^reconciliation-runs", "pk"): "settlement.ReconciliationRun",
    ("api/v1/^discrepancies", "pk"): "settlement.Discrepancy",
    ("settlement/settlements/", "pk"): "settlement.SettlementStatement",
    ("api/v1/^settlements", "pk"): "settlement.SettlementStatement",
    ("settlement/partners/", "pk"): "settlement.Partner",
    ("settlement/catalogue/items/", "pk"): "settlement.ServiceItem",
    ("settlement/catalogue/prices/", "pk"): "settlement.ServicePrice",
    ("settlement/service-jobs/", "pk"): "settlement.ServiceJob",
    ("api/v1/^service-jobs", "pk"): "settlement.ServiceJob",
}
# Parameters that name an action, not an object: walked with one action each (the object is what must be refused).
ACTIONS = {
    ("settlement/settlements/", "action"): "review",
    ("settlement/service-jobs/", "action"): "complete",
}
# Paths not walked, and why.
NOT_WALKED = {
    "admin/": "walked below, model by model, from the admin site's registry",
    "hooks/": "public: the slug names the account, hence its organization (tests/channels_ingest)",
    "rate/": "public: a signed token names the survey (tests/tickets/test_satisfaction.py)",
    "f/": "public: the organization's slug names the organization (tests/forms_builder/test_public.py)",
    "captcha/": "public: django-simple-captcha's pictures, keyed by a random hash; no tenant data",
}
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def _object_routes():
    for route in _patterns(get_resolver().url_patterns):
        names = [a or b for a, b in _PARAM.findall(route)]
        if not names or "format" in names or route.startswith(tuple(NOT_WALKED)):
            continue
        yield route, names


def _model_of(route, name):
    matches = [(prefix, label) for (prefix, param), label in MODEL_OF.items()
               if param == name and route.startswith(prefix)]
    assert matches, f"{route}: which model does <{name}> name? Add it to MODEL_OF."
    return apps.get_model(max(matches, key=lambda m: len(m[0]))[1])


def _path(route, ids):
    path = _PARAM.sub(lambda m: str(ids[m.group(1) or m.group(2)]), route)
    return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")


def seed_b(tenant):
    """One object of each kind a URL names, all of B's, each carrying B's marker where it has text."""

    from channels_ingest.models import InboundEvent, OutboundMessage, WeChatTemplate
    from forms_builder.models import FormFile, FormWebhookDelivery
    from forms_builder.services import form_create, form_submit, form_version_publish
    from notifications.models import Notification
    from scrm.models import (
        AgentProfile,
        CustomerExport,
        CustomerImport,
        CustomerMerge,
        CustomRole,
        DataScope,
        Region,
        Skill,
        Tag,
        TagGroup,
        Team,
    )
    from settlement.models import (
        AfterSale,
        Discrepancy,
        Order,
        PaymentChannel,
        ReconciliationRun,
        Refund,
        ServiceItem,
        ServiceJob,
        StatementImport,
        Store,
    )
    from settlement.partner_services import service_price_set, statement_generate
    from sla.models import PRESET_OFFICE, SLAPolicy, SLATarget
    from sla.services import calendar_create, calendar_day_save, sla_policy_save
    from tests.channels_ingest.conftest import make_account
    from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store
    from tests.tickets.factories import CustomerFactory, TicketFactory
    from tickets.models import Attachment, CannedResponse, Comment, Queue, RoutingRule, TicketType

    organization, marker, ops = tenant.organization, tenant.marker, tenant.users[Role.OPS_ADMIN]
    if organization.slug != "tenant-b":
        return  # A holds nothing: any object a page of A's shows is B's
    Region.objects.create(organization=organization, name=f"{marker} 华东", code="EAST", path="/EAST/",
                          level=Region.Level.AREA)
    team = Team.objects.create(organization=organization, name=f"{marker} 售后部", code="AS")
    AgentProfile.objects.create(organization=organization, user=tenant.users[Role.AGENT], team=team)
    Skill.objects.create(organization=organization, name=f"{marker} 安装")
    Tag.objects.create(organization=organization, name=f"{marker} 大客户",
                       group=TagGroup.objects.create(organization=organization, name=f"{marker} 价值"))
    customer = CustomerFactory(organization=organization, display_name=f"{marker} 张三")
    ticket = TicketFactory(organization=organization, customer=customer, subject=f"{marker} 空调不制冷")
    comment = Comment.objects.create(organization=organization, ticket=ticket, body=f"{marker} 留言")
    attachment = Attachment(organization=organization, comment=comment, original_name=f"{marker}.txt",
                            content_type="text/plain", size=3, sha256="0" * 64)
    attachment.file.save("b.txt", ContentFile(b"abc"), save=False)
    attachment.save()
    CannedResponse.objects.create(organization=organization, title=f"{marker} 模板", body=f"{marker} 您好")
    TicketType.objects.get_or_create(organization=organization, code="b-walk", defaults={"name": f"{marker} 报修"})
    Queue.objects.create(organization=organization, name=f"{marker} 售后队列", code="b-walk")
    RoutingRule.objects.create(organization=organization, name=f"{marker} 投诉规则", set_priority=1)
    Notification.objects.create(organization=organization, recipient=ops, kind=Notification.Kind.ASSIGNED,
                                ticket=ticket, title=f"{marker} 通知")
    account = make_account(organization, slug="tenant-b-oa")
    InboundEvent.objects.create(organization=organization, account=account, kind="text", dedupe_key="b-1",
                                raw=f"<xml>{marker}</xml>", fields={"Content": marker})
    OutboundMessage.objects.create(organization=organization, account=account, comment=comment, to_user="oB",
                                   body=f"{marker} 回复", status=OutboundMessage.Status.DEAD)
    WeChatTemplate.objects.create(organization=organization, account=account, name=f"{marker} 进展通知",
                                  template_id="TPL-b", fields=[["first", marker]])
    CustomerImport.objects.create(organization=organization, created_by=ops, file_name=f"{marker}.csv",
                                  file_kind="csv", file_sha256="0" * 64, file_size=1,
                                  file=ContentFile(b"x", name="x.csv"))
    CustomerExport.objects.create(organization=organization, requested_by=ops, file_format="csv")
    CustomerMerge.objects.create(organization=organization, actor=ops, primary=customer,
                                 duplicate=CustomerFactory(organization=organization, display_name=f"{marker} 张三2"))
    CustomRole.objects.create(organization=organization, name=f"{marker} 华东专员", description=marker,
                              data_scope=DataScope.ORGANIZATION)
    calendar = calendar_create(organization=organization, name=f"{marker} 工作日", weekly_hours=PRESET_OFFICE,
                               follows_china_holidays=False)
    calendar_day_save(calendar=calendar, by=ops, date=datetime.date(2027, 1, 1), kind="holiday", name=f"{marker} 元旦")
    sla_policy_save(policy=SLAPolicy(organization=organization, name=f"{marker} 标准", calendar=calendar),
                    targets=[SLATarget(priority=1, first_response_minutes=30, resolution_minutes=240)], steps=[])
    store = Store.objects.create(organization=organization, channel="youzan", ref="b-store", name=f"{marker} 有赞店")
    order = Order.objects.create(organization=organization, store=store, channel="youzan",
                                 external_number=f"{marker}-1", customer=customer)
    Refund.objects.create(organization=organization, store=store, order=order, order_number=order.external_number,
                          external_number=f"{marker}-r1", amount=1, reason=f"{marker} 退款")
    AfterSale.objects.create(organization=organization, store=store, order=order, order_number=order.external_number,
                             kind="return", external_number=f"{marker}-a1", reason=f"{marker} 退货")
    form = form_create(organization=organization, name=f"{marker} 报修", slug="b-walk", purpose="survey",
                       schema={"sections": [{"key": "s", "fields": [{"key": "a", "type": "text", "label": marker}]}]})
    form_version_publish(form=form)
    form.refresh_from_db()
    submission = form_submit(form=form, data={"a": f"{marker} 回答"})
    form_file = FormFile(organization=organization, submission=submission, field_key="a",
                         original_name=f"{marker}.txt", size=3)
    form_file.file.save("b.txt", ContentFile(marker.encode()), save=False)
    form_file.save()
    FormWebhookDelivery.objects.create(organization=organization, form=form, submission=submission,
                                       body=f'{{"note": "{marker}"}}', status="dead")
    channel = PaymentChannel.objects.create(organization=organization, code="b-pay", name=f"{marker} 京东支付")
    StatementImport.objects.create(organization=organization, channel=channel, file_name=f"{marker}.csv",
                                   file_sha256="b" * 64, created_by=ops)
    channel = PaymentChannel.objects.create(organization=organization, code="b-wechatpay", name=f"{marker} 微信支付")
    run = ReconciliationRun.objects.create(organization=organization, channel=channel, period_start=datetime.date(
        2026, 11, 11), period_end=datetime.date(2026, 11, 11), summary={"note": marker})
    Discrepancy.objects.create(organization=organization, run=run, channel=channel, key=f"order:{marker}-1",
                               kind="amount_mismatch", bill_date=run.period_start, order=order,
                               order_number=order.external_number, note=f"{marker} 差异")
    east = Region.objects.get(organization=organization, code="EAST")
    monthly_rule(organization, region=east)
    partner, partner_store = partner_with_store(organization, east, code="b-p", name=f"{marker} 经销商")
    paid_order(organization, partner_store, f"{marker}-p1", "100.00", paid_at=oct_(5))
    statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    item = ServiceItem.objects.create(organization=organization, code="b-install", name=f"{marker} 安装",
                                      kind="installation")
    service_price_set(organization=organization, item=item, tier=3, price="180")
    ServiceJob.objects.create(organization=organization, number=f"{marker}-SJ1", region=east)


@pytest.fixture
def a_and_b():
    """A: an organization with its users and nothing else. B: one object of each kind a URL names."""
    return tenant_pair(seed_b, slugs=("tenant-a", "tenant-b"))


def _b_row(model, b):
    with platform_scope():
        manager = model.objects if issubclass(model, TenantModel) else model._base_manager
        row = manager.filter(organization=b.organization).order_by("pk").first()
    assert row is not None, f"no {model.__name__} of B to walk with: add one to seed_b"
    return row


def _refused(response, b):
    body = (b"".join(response.streaming_content) if hasattr(response, "streaming_content")
            else response.content).decode("utf-8", "replace")
    return response.status_code in (403, 404, 405) and b.marker not in body


def test_every_url_naming_an_object_refuses_another_organizations_object(a_and_b):
    a, b = a_and_b
    user = a.users[Role.OPS_ADMIN]
    web, api = Client(), APIClient()
    web.force_login(user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    walked, leaks = 0, []
    for route, names in _object_routes():
        actions = {name: value for (prefix, name), value in ACTIONS.items()
                   if name in names and route.startswith(prefix)}
        rows = {name: _b_row(_model_of(route, name), b) for name in names if name not in actions}
        path = _path(route, {**{name: row.pk for name, row in rows.items()}, **actions})
        client = api if route.startswith("api/") else web
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            walked += 1
            if not _refused(response, b):
                leaks.append(f"{method.upper()} {path} ({route}) answered {response.status_code}")
    assert leaks == [], "B's objects reached by A:\n" + "\n".join(leaks)
    assert walked > 40


def test_every_admin_change_page_refuses_another_organizations_object(a_and_b):
    a, b = a_and_b
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    walked, leaks = 0, []
    for model in admin.site._registry:
        if not issubclass(model, TenantModel):
            continue
        with platform_scope():
            row = model.objects.filter(organization=b.organization).order_by("pk").first()
        if row is None:
            continue
        opts = model._meta
        response = client.get(f"/admin/{opts.app_label}/{opts.model_name}/{row.pk}/change/")
        walked += 1
        body = response.content.decode("utf-8", "replace")
        if response.status_code not in (302, 403, 404) or b.marker in body:
            leaks.append(f"{opts.label} {row.pk}: {response.status_code}")
    assert leaks == [], "B's objects reached by A in the admin:\n" + "\n".join(leaks)
    assert walked >= 5
