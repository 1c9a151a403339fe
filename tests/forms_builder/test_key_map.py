"""Field identity across versions: a key renamed or a field retyped at publish is mapped for the answers already
given (FormVersion.key_map); exports, the submissions list and the summary follow the mapping, old submissions still
render against their own version, and a wrong mapping is refused with nothing written."""

import csv
import io
import json

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms_builder.errors import (
    MSG_KEY_MAP_SHAPE,
    MSG_MONEY_LOSS,
    MSG_NEW_KEY_EXISTED,
    MSG_NEW_KEY_UNKNOWN,
    MSG_NO_PREVIOUS,
    MSG_NOT_ONE_TO_ONE,
    MSG_NOT_RETYPED,
    MSG_OLD_KEY_KEPT,
    MSG_OLD_KEY_UNKNOWN,
    MSG_UNSAFE_CONVERSION,
    FormError,
)
from forms_builder.keymap import key_map_clean
from forms_builder.models import FormVersion
from forms_builder.schema import FIELD_TYPES
from forms_builder.selectors import form_summary, submission_rows
from forms_builder.services import form_create, form_submit, form_version_publish
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form

CHANNEL = {"key": "channel", "type": "single_choice", "label": "购买渠道",
           "options": [{"value": "jd", "label": "京东"}, {"value": "shop", "label": "门店"}]}
V1 = {"sections": [{"key": "s", "fields": [
    {"key": "name", "type": "text", "label": "姓名"},
    {"key": "phone_no", "type": "text", "label": "电话"},
    CHANNEL,
    {"key": "spent", "type": "number", "label": "消费"},
]}]}


def _v2(*, name_key="customer_name", channel_type="single_choice", spent_type="number", extra=()):
    return {"sections": [{"key": "s", "fields": [
        {"key": name_key, "type": "text", "label": "客户姓名"},
        {"key": "phone_no", "type": "text", "label": "电话"},
        {**CHANNEL, "type": channel_type},
        {"key": "spent", "type": spent_type, "label": "消费"},
        *extra,
    ]}]}


@pytest.fixture
def survey(organization):
    with tenant_scope(organization):
        form = published_form(organization, slug="visit", purpose="survey", schema=V1, name="回访")
        old = form_submit(form=form, data={"name": "张三", "phone_no": "021-1", "channel": "jd", "spent": "12.5"})
        return form, old


def _csv(client, form):
    body = client.get(reverse("forms_builder:submission-export-csv", args=[form.pk])).content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_a_renamed_key_merges_old_and_new_answers_into_one_column(client, ops_admin, organization, survey):
    form, old = survey
    with tenant_scope(organization):
        version = form_version_publish(form=form, schema=_v2(), key_map={"renames": {"name": "customer_name"}})
        assert version.key_map == {"renames": {"name": "customer_name"}}
        form.refresh_from_db()
        form_submit(form=form, data={"customer_name": "李四", "channel": "shop", "spent": "8"})

    client.force_login(ops_admin)
    header, *rows = _csv(client, form)
    assert header.count("客户姓名") == 1 and "姓名" not in header  # one column, under the new name
    column = header.index("客户姓名")
    assert sorted(row[column] for row in rows) == ["张三", "李四"]

    page = client.get(reverse("forms_builder:submission-list", args=[form.pk]), {"a_customer_name": "张"})
    html = page.content.decode()
    assert page.status_code == 200 and "张三" in html and "李四" not in html  # the filter reads the old key too
    # The old submission still renders against its own version, under its own key and label.
    with tenant_scope(organization):
        old.refresh_from_db()
        assert old.data["name"] == "张三"
        assert [(row["key"], row["label"], row["value"]) for row in submission_rows(old)][0] == ("name", "姓名", "张三")
    detail = client.get(reverse("forms_builder:submission-detail", args=[form.pk, old.pk])).content.decode()
    assert "姓名" in detail and "张三" in detail
    versions = client.get(reverse("forms_builder:form-detail", args=[form.pk])).content.decode()
    assert "<code>name</code> → <code>customer_name</code>" in versions


def test_a_converted_choice_counts_its_old_answers_as_the_new_type(client, ops_admin, organization, survey):
    form, _old = survey
    with tenant_scope(organization):
        form_version_publish(form=form, schema=_v2(name_key="name", channel_type="multi_choice"),
                             key_map={"convert": ["channel"]})
        form.refresh_from_db()
        form_submit(form=form, data={"name": "李四", "channel": ["jd", "shop"]})
        summary = {entry["key"]: entry for entry in form_summary(form)}
    assert [(row["label"], row["count"]) for row in summary["channel"]["rows"]] == [("京东", 2), ("门店", 1)]

    client.force_login(ops_admin)
    html = client.get(reverse("forms_builder:submission-list", args=[form.pk]), {"a_channel": ["jd"]}).content.decode()
    assert "张三" in html and "李四" in html
    header, *rows = _csv(client, form)
    column = header.index("购买渠道")
    assert sorted(row[column] for row in rows) == ["京东", "京东、门店"]


def test_a_retype_kept_leaves_old_answers_out_of_the_new_type(organization, survey):
    form, old = survey
    with tenant_scope(organization):
        version = form_version_publish(form=form, schema=_v2(name_key="name", channel_type="multi_choice"))
        assert version.key_map == {}
        form.refresh_from_db()
        form_submit(form=form, data={"name": "李四", "channel": ["shop"]})
        summary = {entry["key"]: entry for entry in form_summary(form)}
        assert [(row["label"], row["count"]) for row in summary["channel"]["rows"]] == [("京东", 0), ("门店", 1)]
        assert submission_rows(old)[2]["value"] == "京东"  # still shown, in the terms of its version


def test_number_to_money_converts_when_no_answer_loses_a_fen(organization, survey):
    form, _old = survey
    with tenant_scope(organization):
        form_version_publish(form=form, schema=_v2(name_key="name", spent_type="money"), key_map={"convert": ["spent"]})
        form.refresh_from_db()
        form_submit(form=form, data={"name": "李四", "spent": "7.5"})
        spent = {entry["key"]: entry for entry in form_summary(form)}["spent"]
    assert spent["answered"] == 2 and str(spent["max"]) == "12.5"


def test_number_to_money_is_refused_when_an_answer_would_be_rounded(organization, survey):
    form, _old = survey
    with tenant_scope(organization):
        form_submit(form=form, data={"name": "王五", "spent": "3.145"})
        with pytest.raises(FormError) as refused:
            form_version_publish(form=form, schema=_v2(name_key="name", spent_type="money"),
                                 key_map={"convert": ["spent"]})
        assert str(refused.value) == str(MSG_MONEY_LOSS % {"key": "spent", "value": "3.145"})
        assert FormVersion.objects.filter(form=form).count() == 1


@pytest.mark.parametrize(("schema", "key_map", "message"), [
    (_v2(), {"renames": {"nickname": "customer_name"}}, MSG_OLD_KEY_UNKNOWN % {"key": "nickname"}),
    (_v2(), {"renames": {"name": "nobody"}}, MSG_NEW_KEY_UNKNOWN % {"key": "nobody"}),
    (_v2(name_key="name", extra=[{"key": "city", "type": "text", "label": "城市"}]),
     {"renames": {"name": "city"}}, MSG_OLD_KEY_KEPT % {"key": "name"}),
    (_v2(), {"renames": {"name": "phone_no"}}, MSG_NEW_KEY_EXISTED % {"key": "phone_no"}),
    ({"sections": [{"key": "s", "fields": [{"key": "who", "type": "text", "label": "姓名"}, CHANNEL]}]},
     {"renames": {"name": "who", "phone_no": "who"}}, MSG_NOT_ONE_TO_ONE % {"key": "who"}),
    (_v2(name_key="name"), {"convert": ["phone_no"]}, MSG_NOT_RETYPED % {"key": "phone_no"}),
    (_v2(name_key="name", spent_type="text"), {"convert": ["spent"]},
     MSG_UNSAFE_CONVERSION % {"key": "spent", "from": FIELD_TYPES["number"], "to": FIELD_TYPES["text"]}),
    (_v2(), {"renames": ["name"]}, MSG_KEY_MAP_SHAPE),
])
def test_a_wrong_mapping_is_refused_with_a_clear_message_and_nothing_written(organization, survey, schema, key_map,
                                                                              message):
    form, _old = survey
    with tenant_scope(organization), pytest.raises(FormError) as refused:
        form_version_publish(form=form, schema=schema, key_map=key_map)
    assert str(message) in [str(text) for _path, text in refused.value.problems]
    with tenant_scope(organization):
        assert FormVersion.objects.filter(form=form).count() == 1
        form.refresh_from_db()
        assert form.current_version.number == 1 and form.draft_schema == V1


def test_the_first_version_has_nothing_to_map(organization):
    with tenant_scope(organization):
        form = form_create(organization=organization, name="新", slug="new", schema=V1)
        with pytest.raises(FormError, match=str(MSG_NO_PREVIOUS)):
            form_version_publish(form=form, key_map={"renames": {"a": "b"}})


def test_the_publish_endpoint_takes_the_mapping_and_answers_problems_by_path(client, ops_admin, organization, survey):
    form, _old = survey
    client.force_login(ops_admin)
    url = reverse("forms_builder:form-publish", args=[form.pk])

    def post(body):
        return client.post(url, json.dumps(body), content_type="application/json")

    refused = post({"schema": _v2(), "key_map": {"renames": {"nickname": "customer_name"}}})
    assert refused.status_code == 400
    assert refused.json()["problems"] == [{"path": "key_map/renames/nickname",
                                           "message": "“nickname”不是已发布版本中的字段。"}]
    published = post({"schema": _v2(), "key_map": {"renames": {"name": "customer_name"}}})
    assert published.status_code == 200 and published.json()["number"] == 2
    editor = client.get(reverse("forms_builder:form-edit", args=[form.pk])).content.decode()
    assert '"published": [{"key": "customer_name"' in editor


KEYS = st.sampled_from(["name", "customer_name", "phone_no", "channel", "spent", "nobody", "", "a/b"])
JUNK = st.recursive(st.none() | st.booleans() | st.integers() | KEYS,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3), max_leaves=6)
MAPPINGS = st.one_of(JUNK, st.fixed_dictionaries({}, optional={
    "renames": st.dictionaries(KEYS, KEYS | JUNK, max_size=3), "convert": st.lists(KEYS | JUNK, max_size=3)}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key_map=MAPPINGS, spent_type=st.sampled_from(["number", "money", "text"]),
       name_key=st.sampled_from(["name", "customer_name"]))
def test_any_mapping_publishes_or_is_refused_never_a_crash(organization, survey, key_map, spent_type, name_key):
    form, _old = survey
    with tenant_scope(organization):
        before = FormVersion.objects.filter(form=form).count()
        try:
            with transaction.atomic():
                version = form_version_publish(form=form, schema=_v2(name_key=name_key, spent_type=spent_type),
                                               key_map=key_map)
                assert version.key_map == key_map_clean(key_map)
                transaction.set_rollback(True)  # every example starts from the same published version
        except FormError as refused:
            assert refused.problems and all(path.startswith("key_map") for path, _m in refused.problems)
        assert FormVersion.objects.filter(form=form).count() == before
