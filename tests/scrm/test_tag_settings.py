"""Ops keep tags in the product: a new tag in a new or existing group, a change of colour, a taken name refused
with a clear message and nothing saved, each save audited; agents may not."""

import re

import pytest
from django.test import Client
from django.utils.html import escape

from scrm.models import Role, SettingsChange, Tag, TagGroup
from scrm.platform.tenancy import tenant_scope
from scrm.services import MSG_TAG_GROUP_NAME_TAKEN, MSG_TAG_GROUP_NEEDED, MSG_TAG_NAME_TAKEN
from tests.tenancy import assert_isolated, tenant_pair

pytestmark = pytest.mark.django_db


def _seed(tenant):
    group = TagGroup.objects.create(organization=tenant.organization, name=f"{tenant.marker} 价值")
    Tag.objects.create(organization=tenant.organization, group=group, name=f"{tenant.marker} 大客户")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_ops_add_a_tag_in_a_new_group_change_its_colour_and_each_save_is_audited():
    a, _b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    assert ops.post("/settings/tags/", {"name": "投诉", "color": "danger", "new_group": "风险"}).status_code == 302
    with tenant_scope(a.organization):
        tag = Tag.objects.select_related("group").get(name="投诉")
    assert (tag.group.name, tag.color) == ("风险", "danger")
    response = ops.post(f"/settings/tags/{tag.pk}/", {"name": "投诉", "color": "warning", "group": tag.group_id})
    assert response.status_code == 302
    with tenant_scope(a.organization):
        tag.refresh_from_db()
        actions = list(SettingsChange.objects.filter(subject="scrm.tag", subject_id=tag.pk)
                       .order_by("at", "pk").values_list("action", flat=True))
    assert tag.color == "warning" and actions == ["created", "changed"]


def test_a_taken_name_or_no_group_is_refused_and_nothing_saved():
    a, _b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    response = ops.post("/settings/tags/", {"name": f"{a.marker} 大客户", "color": "primary", "new_group": "新组"})
    assert response.status_code == 400
    assert escape(str(MSG_TAG_NAME_TAKEN % {"name": f"{a.marker} 大客户"})) in response.content.decode()
    response = ops.post("/settings/tags/", {"name": "新标签", "color": "primary"})
    assert response.status_code == 400 and escape(str(MSG_TAG_GROUP_NEEDED)) in response.content.decode()
    with tenant_scope(a.organization):
        assert Tag.objects.count() == 1 and TagGroup.objects.count() == 1
        assert not SettingsChange.objects.exists()


def test_a_name_with_a_nul_character_is_refused_saying_so_in_chinese():
    """Django's own Chinese for it, "不允许是用空字符串" (empty strings are not allowed), beside a name that is not
    empty sent ops looking for the wrong problem."""
    a, _b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    response = ops.post("/settings/tags/", {"name": "投诉\x00", "color": "primary", "new_group": "风险"})
    page = response.content.decode()
    assert response.status_code == 400 and "文本中含有空字符（NUL），请删除后再保存。" in page
    assert "不允许是用空字符串" not in page
    with tenant_scope(a.organization):
        assert Tag.objects.count() == 1 and not SettingsChange.objects.exists()


def test_agents_may_not_keep_tags_and_the_page_stays_in_its_organization():
    a, b = tenant_pair(_seed)
    agent = _client(a.users[Role.AGENT])
    assert agent.get("/settings/tags/").status_code == 403
    assert agent.post("/settings/tags/", {"name": "x", "color": "primary", "new_group": "y"}).status_code == 403
    assert_isolated(Client(), a, b, "/settings/tags/")


def test_ops_rename_and_reorder_a_tag_group_a_taken_name_is_refused_and_only_an_empty_group_deleted():
    a, b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    with tenant_scope(a.organization):
        group = TagGroup.objects.get()
        other = TagGroup.objects.create(organization=a.organization, name="风险", sort_order=1)
    assert f'href="/settings/tags/groups/{group.pk}/"' in ops.get("/settings/tags/").content.decode()
    response = ops.post(f"/settings/tags/groups/{group.pk}/", {"name": "风险", "sort_order": "0"})
    assert response.status_code == 400
    assert escape(str(MSG_TAG_GROUP_NAME_TAKEN % {"name": "风险"})) in response.content.decode()
    assert ops.post(f"/settings/tags/groups/{group.pk}/", {"name": "客户价值", "sort_order": "2"}).status_code == 302
    with tenant_scope(a.organization):
        group.refresh_from_db()
        changes = list(SettingsChange.objects.filter(subject="scrm.taggroup").values_list("detail", flat=True))
    assert (group.name, group.sort_order) == ("客户价值", 2)
    assert changes == [{"name": "客户价值", "sort_order": 2}]  # the refused rename wrote nothing
    listed = re.findall(r'data-testid="tag-group"[^>]*>([^<]+)<', ops.get("/settings/tags/").content.decode())
    assert listed == ["风险", "客户价值"]  # by their new order
    assert ops.post(f"/settings/tags/groups/{group.pk}/delete/", follow=True).status_code == 200
    assert ops.post(f"/settings/tags/groups/{other.pk}/delete/").status_code == 302
    with tenant_scope(a.organization):
        assert list(TagGroup.objects.values_list("name", flat=True)) == ["客户价值"]  # it still holds its tag
    assert _client(a.users[Role.AGENT]).get(f"/settings/tags/groups/{group.pk}/").status_code == 403
    with tenant_scope(b.organization):
        foreign = TagGroup.objects.get()
    assert ops.get(f"/settings/tags/groups/{foreign.pk}/").status_code == 404
