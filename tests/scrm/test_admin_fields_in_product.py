"""Every field and action the Django admin offers an ops admin has an in-product settings page that changes it.

`IN_PRODUCT` maps each field the admin lets an ops admin edit (and each admin action) to the page and form control
that does the same in the product, or to the reason it needs no page. Three checks:

- completeness: the admin's editable fields and actions, read from the admin itself as an ops admin sees it, are
  all in the table, so a field added to the admin alone fails here until it has a page (or a stated reason);
- presence: each mapped control is on its page, as the ops admin gets it;
- round trip: for the fields with a new value in `CHANGES`, the page's form is submitted as a browser would (every
  other control keeping its value) with that one control changed, and the page read again shows the new value.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.test import Client, RequestFactory

from channels_ingest.models import ChannelAccount
from scrm.admin import ReadOnlyTenantAdmin
from scrm.models import AgentProfile, Region, Role, Skill, Tag, TagGroup, Team
from scrm.platform.crypto import secret_encrypt
from scrm.platform.tenancy import tenant_scope
from sla.models import BusinessCalendar, EscalationStep, SLAPolicy, SLATarget
from sla.services import sla_policy_save
from tests.tenancy import tenant_pair
from tickets.models import CannedResponse, Queue, RoutingRule, TicketType

pytestmark = pytest.mark.django_db

# Reasons a field or action needs no control of its own.
PLATFORM = "platform only"
NO_PAGE = "the product does it differently"

REGION = "/settings/regions/{region}/"
TEAM = "/settings/teams/{team}/"
AGENT = "/settings/agents/{agent}/"
USER = "/settings/users/{user}/"
TAGS = "/settings/tags/{tag}/"
TAG_GROUP = "/settings/tags/groups/{group}/"
QUEUE = "/tickets/settings/queues/{queue}/"
TYPE = "/tickets/settings/types/{type}/"
RULE = "/tickets/settings/rules/{rule}/"
CANNED = "/tickets/settings/canned/{canned}/"
CALENDAR = "/sla/calendars/{calendar}/"
DAY = "/sla/calendars/{calendar}/days/new/"
POLICY = "/sla/policies/{policy}/"
CHANNELS = "/notifications/settings/"
ACCOUNT = "/settings/channels/{account}/edit/"

IN_PRODUCT = {
    "scrm.Region": {
        **{f: (REGION, f) for f in ("name", "code", "parent", "managers")},
        "level": ("/settings/regions/", "level"),  # chosen when it is made; it keeps it when it moves
    },
    "scrm.Team": {f: (TEAM, f) for f in ("name", "code", "kind", "parent", "leader")},
    "scrm.Skill": {"name": ("/settings/skills/{skill}/", "name")},
    "scrm.AgentProfile": {
        **{f: (AGENT, f) for f in ("regions", "skills", "max_open_tickets", "supervisor")},
        "status": (AGENT, "status"),
        "user": (NO_PAGE, "a profile belongs to its account: made with the agent's account on the users page"),
        "team": (USER, "team"),
    },
    "scrm.User": {
        "username": ("/settings/users/new/", "username"),  # the sign-in name, chosen when the account is made
        "password": (NO_PAGE, "重置密码 on the user's page gives a temporary password (user_password_reset)"),
        "display_name": (USER, "display_name"), "email": (USER, "email"), "mobile": (USER, "mobile"),
        "first_name": (NO_PAGE, "the product names staff by display_name"),
        "last_name": (NO_PAGE, "the product names staff by display_name"),
        "is_active": (NO_PAGE, "停用/启用 on the user's page (user_set_active)"),
        "groups": (USER, "roles"),
    },
    "scrm.TagGroup": {
        "name": (TAG_GROUP, "name"), "sort_order": (TAG_GROUP, "sort_order"),
        "Tag.name": (TAGS, "name"), "Tag.color": (TAGS, "color"),
    },
    "notifications.NotificationChannelConfig": {
        f: (CHANNELS, f) for f in ("wecom_corp_id", "wecom_agent_id", "wecom_secret", "wecom_userid_field",
                                   "sms_provider", "aliyun_access_key_id", "aliyun_access_key_secret",
                                   "aliyun_sign_name", "aliyun_template_code", "aliyun_endpoint")},
    "tickets.Queue": {
        **{f: (QUEUE, f) for f in ("name", "code", "team", "regions", "ticket_types", "required_skills", "strategy",
                                   "auto_assign")},
        "QueueMembership.agent": (QUEUE, "members"),
    },
    "tickets.TicketType": {f: (TYPE, f) for f in ("name", "code", "default_queue", "default_priority",
                                                   "required_skills", "is_active", "sort_order")},
    "tickets.RoutingRule": {
        **{f: (RULE, f) for f in ("name", "is_active", "channel", "ticket_type", "keywords", "customer_level",
                                  "region", "set_queue", "set_priority", "set_type", "add_tags")},
        "position": (NO_PAGE, "上移/下移 on the rules page (routing_rule_move)"),
    },
    "tickets.CannedResponse": {f: (CANNED, f) for f in ("title", "body", "queue", "is_active")},
    "sla.BusinessCalendar": {
        "name": (CALENDAR, "name"), "time_zone": (CALENDAR, "time_zone"),
        "follows_china_holidays": (CALENDAR, "follows_china_holidays"),
        "weekly_hours": (CALENDAR, "mon"),  # one field per weekday, mon ... sun
        "preset": (NO_PAGE, "a label of the platform's default calendars; the week's hours are what count"),
        "CalendarDay.date": (DAY, "date"), "CalendarDay.kind": (DAY, "kind"), "CalendarDay.name": (DAY, "name"),
        "CalendarDay.spans": (DAY, "spans"),
        "action:seed_china_holidays": (NO_PAGE, "ticking 跟随中国法定节假日 seeds them, the platform's seed_holidays "
                                                "command after a chinese-calendar upgrade; years past the package "
                                                "are imported on the calendar's page"),
    },
    "sla.SLAPolicy": {
        **{f: (POLICY, f) for f in ("name", "position", "is_active", "calendar", "queue", "ticket_type",
                                    "priority", "customer_level", "channel")},
        **{f"SLATarget.{f}": (POLICY, f) for f in ("priority", "first_response_minutes", "next_response_minutes",
                                                   "resolution_minutes")},
        **{f"EscalationStep.{f}": (POLICY, f) for f in ("metric", "trigger", "trigger_value", "notify_assignee",
                                                        "notify_supervisor", "notify_team", "reassign_queue",
                                                        "reassign_to_supervisor", "raise_priority", "via_wecom",
                                                        "via_sms")},
        "EscalationStep.position": (NO_PAGE, "the ladder's row order (sla_policy_save numbers the steps)"),
    },
    "channels_ingest.ChannelAccount": {f: (ACCOUNT, f) for f in ("name", "kind", "slug", "app_id", "agent_id",
                                                                 "subscribe_reply", "is_active", "token", "aes_key",
                                                                 "secret")},
    "channels_ingest.InboundEvent": {
        "action:replay_events": (NO_PAGE, "重放 beside each failed event on the account's page (event_replay)")},
}

# Platform models no ops admin sees in the admin (asserted below: they must stay out of the ops admin's reach).
PLATFORM_MODELS = {"scrm.Organization", "scrm.PlatformAudit"}

# (model, admin field) -> the new value the round trip submits on the field's page.
CHANGES = {
    ("scrm.Region", "name"): "华东大区（新）",
    ("scrm.Team", "name"): "售后二组",
    ("scrm.Skill", "name"): "空调安装",
    ("scrm.AgentProfile", "max_open_tickets"): "7",
    ("scrm.User", "display_name"): "王小明",
    ("scrm.TagGroup", "name"): "消费频次（新）",
    ("scrm.TagGroup", "sort_order"): "5",
    ("scrm.TagGroup", "Tag.name"): "高频（新）",
    ("notifications.NotificationChannelConfig", "wecom_userid_field"): "mobile",
    ("tickets.Queue", "regions"): "{region}",
    ("tickets.Queue", "ticket_types"): "{type}",
    ("tickets.Queue", "required_skills"): "{skill}",
    ("tickets.TicketType", "required_skills"): "{skill}",
    ("tickets.TicketType", "sort_order"): "9",
    ("tickets.RoutingRule", "keywords"): "安装\n移机",
    ("tickets.CannedResponse", "title"): "问候（新）",
    ("sla.BusinessCalendar", "weekly_hours"): "09:00-18:00",
    ("sla.SLAPolicy", "name"): "标准（新）",
    ("sla.SLAPolicy", "SLATarget.resolution_minutes"): "600",
    ("channels_ingest.ChannelAccount", "name"): "服务号（新）",
}


def _seed(tenant):
    org = tenant.organization
    region = Region.objects.create(organization=org, name="华东", code="EAST", level="area", path="/EAST/")
    team = Team.objects.create(organization=org, name="售后组", code="after-sales")
    skill = Skill.objects.create(organization=org, name="安装")
    profile = AgentProfile.objects.create(organization=org, user=tenant.users[Role.AGENT], team=team)
    group = TagGroup.objects.create(organization=org, name="消费频次")
    tag = Tag.objects.create(organization=org, group=group, name="高频")
    queue = Queue.objects.create(organization=org, name="售后", code="after-sales", team=team)
    ticket_type = TicketType.objects.create(organization=org, name="安装", code="install", default_queue=queue)
    rule = RoutingRule.objects.create(organization=org, name="安装单", position=1, keywords="安装", set_queue=queue)
    canned = CannedResponse.objects.create(organization=org, title="问候", body="您好")
    calendar = BusinessCalendar.objects.filter(organization=org).first() or BusinessCalendar.objects.create(
        organization=org, name="工作日", weekly_hours={"mon": ["09:00-12:00"]})
    policy = SLAPolicy(organization=org, name="标准", position=1, calendar=calendar)
    sla_policy_save(policy=policy, targets=[
        SLATarget(priority=3, first_response_minutes=60, next_response_minutes=120, resolution_minutes=480)],
        steps=[EscalationStep(metric="resolution", trigger="percent", trigger_value=75, notify_assignee=True)])
    account = ChannelAccount.objects.create(
        organization=org, kind=ChannelAccount.Kind.WECHAT_OA, name="服务号", slug=f"{org.slug}-oa", app_id="wx1",
        token_encrypted=secret_encrypt("token"), aes_key_encrypted=secret_encrypt("k" * 43))
    tenant.objects.update(region=region.pk, team=team.pk, skill=skill.pk, agent=profile.pk, tag=tag.pk, group=group.pk,
                          queue=queue.pk, type=ticket_type.pk, rule=rule.pk, canned=canned.pk, calendar=calendar.pk,
                          policy=policy.pk, account=account.pk, user=tenant.users[Role.AGENT].pk)


class _Forms(HTMLParser):
    """The forms of a page as a browser would submit them: [{action, method, controls: [(name, value)], options:
    {name: [values]}}] (controls: what a submit sends; options: every choice of a select, checkbox or radio), so a
    test can change one control and keep the others."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._select, self._textarea, self._option = [], None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                          "controls": [], "options": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                self._form["options"].setdefault(name, []).append(attrs.get("value", "on"))
                if "checked" in attrs:
                    self._form["controls"].append((name, attrs.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self._form["controls"].append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select = name
            self._form["options"].setdefault(name, [])
        elif tag == "option" and self._select:
            self._form["options"][self._select].append(attrs.get("value", ""))
            if "selected" in attrs:
                self._form["controls"].append((self._select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, value = self._textarea
            self._form["controls"].append((name, value.removeprefix("\n")))
            self._textarea = None


_ERRORS = re.compile(r'class="[^"]*(?:text-danger|alert-danger|invalid-feedback)[^"]*"[^>]*>(.*?)</', re.S)


def _forms(html):
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _named(control, name):
    """`name` itself or a formset's `prefix-0-name`."""
    return control == name or control.rsplit("-", 1)[-1] == name and control.split("-")[-2].isdigit()


def _form_with(forms, name):
    for form in forms:
        if form["method"] == "post" and (any(_named(c, name) for c, _v in form["controls"])
                                         or any(_named(c, name) for c in form["options"])):
            return form
    return None


def _admin_editable(user):
    """{model label: set of fields (inline ones as "Model.field") and "action:<name>"} an ops admin may change in
    the Django admin, read from the registered admins as that user gets them."""
    request = RequestFactory().get("/admin/")
    request.user = user
    found = {}
    for model, model_admin in admin.site._registry.items():
        if not (model_admin.has_module_permission(request) and model_admin.has_view_permission(request)):
            continue
        obj = model._default_manager.first()
        items = {f"action:{name}" for name in model_admin.get_actions(request) if name != "delete_selected"}
        if not isinstance(model_admin, ReadOnlyTenantAdmin):
            readonly = set(model_admin.get_readonly_fields(request, obj))
            items |= {f for f in flatten_fieldsets(model_admin.get_fieldsets(request, obj)) if f not in readonly}
            for inline in model_admin.get_inline_instances(request, obj):
                if inline.has_change_permission(request, obj) or inline.has_add_permission(request, obj):
                    readonly = set(inline.get_readonly_fields(request, obj))
                    items |= {f"{inline.model.__name__}.{f}"
                              for f in flatten_fieldsets(inline.get_fieldsets(request, obj)) if f not in readonly}
        found[model._meta.label] = items
    return found


def test_every_field_the_admin_lets_ops_change_has_a_page_in_the_product():
    a, _b = tenant_pair(_seed)
    with tenant_scope(a.organization):
        editable = _admin_editable(a.users[Role.OPS_ADMIN])
    assert not PLATFORM_MODELS & set(editable), "platform models are the platform team's alone"
    missing = {model: sorted(items - set(IN_PRODUCT.get(model, {}))) for model, items in editable.items()}
    missing = {model: items for model, items in missing.items() if items}
    assert missing == {}, f"changed in the Django admin only (give them a settings page, or a reason): {missing}"
    # The table names nothing the admin does not offer: a field dropped from the admin is dropped here too.
    stale = {model: sorted(set(items) - editable.get(model, set())) for model, items in IN_PRODUCT.items()}
    assert {model: items for model, items in stale.items() if items} == {}


def test_each_mapped_control_is_on_its_page_for_the_ops_admin():
    a, _b = tenant_pair(_seed)
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    pages = {}
    absent = []
    for model, items in IN_PRODUCT.items():
        for item, (url, control) in items.items():
            if url == NO_PAGE:
                assert control, f"{model}.{item} needs a reason"
                continue
            url = url.format(**a.objects)
            if url not in pages:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                pages[url] = _forms(response.content.decode())
            if _form_with(pages[url], control) is None:
                absent.append((model, item, url, control))
    assert absent == [], f"controls not on their page: {absent}"


@pytest.mark.parametrize(("model", "item"), sorted(CHANGES))
def test_a_change_posted_through_the_page_reads_back(model, item):
    a, _b = tenant_pair(_seed)
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    url, control = IN_PRODUCT[model][item]
    url, value = url.format(**a.objects), CHANGES[(model, item)].format(**a.objects)
    form = _form_with(_forms(client.get(url).content.decode()), control)
    assert form is not None, (url, control)
    name = next((c for c, _v in form["controls"] if _named(c, control)),
                next((c for c in form["options"] if _named(c, control)), control))
    data = {}
    for key, current in form["controls"]:
        if key != name:
            data.setdefault(key, []).append(current)
    data[name] = [value]
    response = client.post(form["action"] or url, data)
    errors = _ERRORS.findall(response.content.decode()) if response.status_code != 302 else []
    assert response.status_code == 302, f"the page refused the change ({response.status_code}): {errors}"
    again = _form_with(_forms(client.get(url).content.decode()), control)
    assert (name, value) in again["controls"], f"{model}.{item}: {value!r} not read back on {url}"
