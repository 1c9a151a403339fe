"""The demo organization's forms, through the forms services: a 报修 intake form with logic (public, opens routed
tickets), a satisfaction survey, and the custom fields of the 安装 and 报修 ticket types. Created once: a form whose
address exists is left as it is.

A form people evaluate the product with looks used: a month of public submissions, each sent through form_submit
(answers validated, the customer matched by mobile, the repair form's ticket opened and routed), then moved back in
time with its ticket (demo/tickets.py works and backdates them as the other tickets, demo/sla.py recomputes their
SLA from their opening)."""

import random
from datetime import timedelta

from django.utils import timezone

from demo.sla import sla_from_opening
from demo.tickets import DEMO_DAYS, TOPICS, seed_intake_tickets
from forms_builder.models import Form, FormSubmission
from forms_builder.services import form_create, form_submit, form_version_publish
from scrm.platform.tenancy import tenant_scope
from tickets.models import Ticket, TicketType
from tickets.services._core import NUMBER_TZ
from tickets.services.forms import ticket_type_set_form


def _when(field, op, value=None):
    condition = {"field": field, "op": op}
    if value is not None:
        condition["value"] = value
    return {"mode": "all", "conditions": [condition]}


REPAIR = {
    "submit_label": "提交报修",
    "thank_you": "我们已收到您的报修，工程师会在 2 小时内与您联系。",
    "sections": [
        {"key": "contact", "title": "联系方式", "fields": [
            {"key": "name", "type": "text", "label": "姓名", "bind": "customer.name", "required": True},
            {"key": "mobile", "type": "mobile", "label": "手机号", "bind": "customer.mobile", "required": True},
            {"key": "region", "type": "region", "label": "所在地区"},
            {"key": "address", "type": "text", "label": "详细地址", "placeholder": "街道、小区、门牌号"},
        ]},
        {"key": "problem", "title": "问题", "fields": [
            {"key": "category", "type": "dropdown", "label": "问题类型", "required": True, "options": [
                {"value": "fault", "label": "设备故障"}, {"value": "install", "label": "安装预约"},
                {"value": "complaint", "label": "投诉"}, {"value": "other", "label": "其他"}]},
            {"key": "fault_code", "type": "code", "label": "故障代码", "regex": "[EF]\\d{2}",
             "help": "显示屏上的代码，例如 E21", "visible_if": _when("category", "equals", "fault")},
            {"key": "order", "type": "text", "label": "订单号", "help": "可从链接中自动带出",
             "required_if": _when("category", "in", ["install", "complaint"])},
            {"key": "appointment", "type": "datetime", "label": "期望上门时间",
             "visible_if": _when("category", "in", ["fault", "install"])},
            {"key": "detail", "type": "textarea", "label": "问题描述",
             "required_if": _when("category", "in", ["complaint", "other"])},
            {"key": "photo", "type": "file", "label": "照片", "file_types": [".jpg", ".jpeg", ".png", ".heic"],
             "max_size_mb": 10},
            {"key": "agree", "type": "agreement", "label": "我同意工程师上门服务时联系我", "required": True},
        ]},
    ],
    "intake": {"subject_field": "category", "ticket_type": "repair", "rules": [
        {"when": _when("category", "equals", "install"), "ticket_type": "install"},
        {"when": _when("category", "equals", "complaint"), "ticket_type": "complaint", "priority": 2},
    ]},
}

SURVEY = {"sections": [{"key": "s1", "title": "", "fields": [
    {"key": "info", "type": "info", "label": "感谢使用星河家电", "help": "两分钟的问卷，帮助我们做得更好。"},
    {"key": "rating", "type": "rating", "label": "整体满意度", "required": True},
    {"key": "why", "type": "multi_choice", "label": "哪些方面可以改进？", "options": [
        {"value": "speed", "label": "响应速度"}, {"value": "skill", "label": "工程师技术"},
        {"value": "price", "label": "收费"}, {"value": "attitude", "label": "服务态度"}],
     "visible_if": _when("rating", "lt", 4)},
    {"key": "comment", "type": "textarea", "label": "其他建议"},
]}]}

INSTALL_FIELDS = {"sections": [{"key": "s1", "title": "", "fields": [
    {"key": "install_address", "type": "text", "label": "安装地址", "required": True},
    {"key": "model", "type": "text", "label": "机型"},
    {"key": "lift", "type": "single_choice", "label": "有无电梯", "options": [
        {"value": "yes", "label": "有"}, {"value": "no", "label": "无"}]},
    {"key": "floor", "type": "number", "label": "楼层", "min": -3, "max": 120,
     "visible_if": _when("lift", "equals", "no")},
    {"key": "fee", "type": "money", "label": "辅材费", "min": 0},
    {"key": "done_at", "type": "date", "label": "完工日期"},
]}]}

REPAIR_FIELDS = {"sections": [{"key": "s1", "title": "", "fields": [
    {"key": "fault_code", "type": "code", "label": "故障代码", "regex": "[EF]\\d{2}", "required": True},
    {"key": "part", "type": "dropdown", "label": "更换部件", "options": [
        {"value": "none", "label": "无需更换"}, {"value": "board", "label": "主板"},
        {"value": "motor", "label": "电机"}, {"value": "sensor", "label": "传感器"}]},
    {"key": "warranty", "type": "single_choice", "label": "是否在保", "options": [
        {"value": "yes", "label": "在保"}, {"value": "no", "label": "过保"}]},
    {"key": "charge", "type": "money", "label": "收费金额", "min": 0,
     "required_if": _when("warranty", "equals", "no")},
]}]}

# slug, name, purpose, schema, ticket type code it gives its fields to
FORMS = [
    ("repair", "报修登记", Form.Purpose.INTAKE, REPAIR, None),
    ("survey", "服务满意度调查", Form.Purpose.SURVEY, SURVEY, None),
    ("install-fields", "安装单", Form.Purpose.TICKET_FIELDS, INSTALL_FIELDS, "install"),
    ("repair-fields", "报修故障字段", Form.Purpose.TICKET_FIELDS, REPAIR_FIELDS, "repair"),
]

DEMO_REPAIRS = 42  # submissions of the repair form over the last DEMO_DAYS days, each opening a ticket
DEMO_SURVEYS = 28
# The repair form's 问题类型 for a demo ticket's category (demo/tickets.py's TOPICS).
CATEGORY_ANSWER = {"repair": "fault", "install": "install", "complaint": "complaint", "consult": "other",
                   "return": "other"}
FAULT_CODES = ["E21", "E04", "E13", "F07", "F12", "E30"]
# Street addresses in the demo's cities (a customer's region code): the 详细地址 lies in the 所在地区 answered.
STREETS = {"JS-NJ": ["建邺区江东中路 108 号", "鼓楼区中山北路 200 号"], "JS-SZ": ["工业园区星湖街 328 号"],
           "ZJ-HZ": ["西湖区文三路 90 号", "滨江区江南大道 588 号"], "SH-SH": ["浦东新区张杨路 500 弄"],
           "GD-GZ": ["天河区体育西路 191 号"], "GD-SZ": ["南山区科技园南区 12 栋", "福田区深南大道 6008 号"],
           "BJ-BJ": ["朝阳区望京西路 48 号", "海淀区中关村大街 27 号"]}
# Survey ratings as customers give them (mostly content, a few unhappy), what the unhappy would improve, comments.
RATING_WEIGHTS = {5: 11, 4: 8, 3: 4, 2: 2, 1: 1}
PRAISE = ["师傅很专业，讲解也很耐心", "响应很快，点赞", "客服态度很好，问题一次解决"]
COMPLAINTS = ["希望能提前电话确认上门时间", "收费标准可以再透明一些", "等了两天才有人联系"]


def seed_forms(*, organization):
    with tenant_scope(organization):
        for slug, name, purpose, schema, type_code in FORMS:
            if Form.objects.filter(slug=slug).exists():
                continue
            form = form_create(organization=organization, name=name, slug=slug, purpose=purpose, schema=schema)
            form_version_publish(form=form)
            form.refresh_from_db()
            if type_code:
                ticket_type = TicketType.objects.filter(code=type_code).first()
                if ticket_type is not None:
                    ticket_type_set_form(ticket_type=ticket_type, form=form)
            if slug == "repair":
                _repair_submissions(organization, form)
            elif slug == "survey":
                _survey_submissions(form)


def _repair_submissions(organization, form):
    """DEMO_REPAIRS public submissions of the repair form by the demo's customers, each opening a ticket worked and
    backdated with the others; each submission dated at its ticket's opening."""
    made = {}  # ticket id -> submission id

    def submit(n, customer, category, rng, order_number):
        answer = CATEGORY_ANSWER[category]
        subject, detail = rng.choice(TOPICS[category])
        data = {"name": customer.real_name or customer.display_name, "mobile": customer.mobile,
                "category": answer, "agree": "on"}
        if customer.region_id and rng.random() < 0.8:
            data["region"] = customer.region_id
            if customer.region.code in STREETS:
                data["address"] = rng.choice(STREETS[customer.region.code])
        if answer == "fault":
            data["fault_code"] = rng.choice(FAULT_CODES)
        if answer in ("install", "complaint"):
            data["order"] = order_number
        if answer != "install" or rng.random() < 0.5:
            data["detail"] = f"{subject} {detail.format(order=order_number)}"
        submission = form_submit(form=form, data=data)  # matched to the customer by their mobile
        made[submission.outcome["ticket_id"]] = submission.pk
        return Ticket.objects.get(pk=submission.outcome["ticket_id"])

    openings = seed_intake_tickets(organization=organization, count=DEMO_REPAIRS, submit=submit, seed=20261205)
    tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=openings)}
    for ticket in tickets.values():
        sla_from_opening(ticket)
    for ticket_id, submission_id in made.items():
        ticket = tickets[ticket_id]
        FormSubmission.objects.filter(pk=submission_id).update(
            created_at=openings[ticket_id], outcome={"ticket_id": ticket.pk, "number": ticket.number})


def _survey_submissions(form):
    """DEMO_SURVEYS answers of the satisfaction survey over the last DEMO_DAYS days."""
    rng = random.Random(20261207)
    now = timezone.now()
    for _n in range(DEMO_SURVEYS):
        rating = rng.choices(list(RATING_WEIGHTS), weights=list(RATING_WEIGHTS.values()))[0]
        data = {"rating": rating}
        if rating < 4:
            data["why"] = rng.sample(["speed", "skill", "price", "attitude"], rng.randint(1, 2))
        if rng.random() < 0.4:
            data["comment"] = rng.choice(PRAISE if rating >= 4 else COMPLAINTS)
        submission = form_submit(form=form, data=data)
        # Answered in the day, China time, as the tickets were opened.
        day = timezone.localtime(now, NUMBER_TZ) - timedelta(days=rng.randint(0, DEMO_DAYS - 1))
        when = day.replace(hour=rng.randint(8, 21), minute=rng.randint(0, 59), second=rng.randint(0, 59))
        FormSubmission.objects.filter(pk=submission.pk).update(created_at=min(when, now - timedelta(minutes=10)))
