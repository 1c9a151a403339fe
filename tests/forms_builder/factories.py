"""Schemas and forms of the forms tests."""

from forms_builder.services import form_create, form_version_publish


def repair_schema(**intake):
    """A small 报修 form: 问题类型 (dropdown), 故障代码 shown only for 设备故障, 手机, 照片, 同意."""
    schema = {"sections": [{"key": "s1", "title": "报修", "fields": [
        {"key": "name", "type": "text", "label": "姓名", "bind": "customer.name", "required": True},
        {"key": "mobile", "type": "mobile", "label": "手机", "bind": "customer.mobile", "required": True},
        {"key": "problem", "type": "dropdown", "label": "问题类型", "required": True,
         "options": [{"value": "fault", "label": "设备故障"}, {"value": "install", "label": "安装咨询"},
                     {"value": "other", "label": "其他"}]},
        {"key": "fault_code", "type": "code", "label": "故障代码", "regex": "E\\d{2}", "required": True,
         "visible_if": {"mode": "all", "conditions": [{"field": "problem", "op": "equals", "value": "fault"}]}},
        {"key": "detail", "type": "textarea", "label": "问题描述",
         "required_if": {"conditions": [{"field": "problem", "op": "equals", "value": "other"}]}},
        {"key": "amount", "type": "money", "label": "购买金额", "min": 0, "max": 100000},
        {"key": "photo", "type": "file", "label": "照片", "file_types": [".jpg", ".png"], "max_size_mb": 1},
    ]}]}
    if intake:
        schema["intake"] = intake
    return schema


def published_form(organization, *, slug="repair", purpose="intake", schema=None, name="报修"):
    form = form_create(organization=organization, name=name, slug=slug, purpose=purpose,
                       schema=schema or repair_schema())
    form_version_publish(form=form)
    form.refresh_from_db()
    return form
