"""The demo organization's forms, through the forms services: a 报修 intake form with logic (public, opens routed
tickets), a satisfaction survey, and the custom fields of the 安装 and 报修 ticket types. Created once: a form whose
address exists is left as it is."""

from forms_builder.models import Form
from forms_builder.services import form_create, form_submit, form_version_publish
from scrm.platform.tenancy import tenant_scope
from tickets.models import TicketType
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

SAMPLE_REPAIRS = [
    {"name": "韩梅梅", "mobile": "13951000001", "category": "fault", "fault_code": "E21", "agree": "on",
     "detail": "洗衣机不脱水"},
    {"name": "李雷", "mobile": "13951000002", "category": "install", "order": "XH20261201001", "agree": "on"},
]


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
                for answers in SAMPLE_REPAIRS:
                    form_submit(form=form, data=answers)
