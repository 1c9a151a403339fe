"""Ops write canned responses in the product: variables the reply box cannot fill and taken titles are refused
with a clear message and nothing saved; each save is audited; agents may not change them."""

import pytest
from django.test import Client
from django.utils.html import escape

from scrm.models import Role, SettingsChange
from scrm.platform.tenancy import tenant_scope
from tests.tenancy import assert_isolated, tenant_pair
from tickets.models import CannedResponse
from tickets.services.config import MSG_CANNED_TITLE_TAKEN

pytestmark = pytest.mark.django_db


def _seed(tenant):
    CannedResponse.objects.create(organization=tenant.organization, title=f"{tenant.marker} 问候",
                                  body="您好 {customer_name}")


def _ops(tenant):
    client = Client()
    client.force_login(tenant.users[Role.OPS_ADMIN])
    return client


def test_ops_create_and_edit_a_canned_response_and_each_save_is_audited():
    a, _b = tenant_pair(_seed)
    client = _ops(a)
    body = "您好 {customer_name}，工单 {ticket_number} 已收到"
    response = client.post("/tickets/settings/canned/new/", {"title": "已收到", "is_active": "on", "body": body})
    assert response.status_code == 302
    with tenant_scope(a.organization):
        canned = CannedResponse.objects.get(title="已收到")
    assert client.post(f"/tickets/settings/canned/{canned.pk}/", {"title": "已收到", "body": "稍等"}).status_code == 302
    with tenant_scope(a.organization):
        canned.refresh_from_db()
        actions = list(SettingsChange.objects.filter(subject="tickets.cannedresponse", subject_id=canned.pk)
                       .order_by("at", "pk").values_list("action", flat=True))
    assert (canned.body, canned.is_active) == ("稍等", False) and actions == ["created", "changed"]


def test_an_unknown_variable_or_a_taken_title_is_refused_and_nothing_saved():
    a, _b = tenant_pair(_seed)
    client = _ops(a)
    response = client.post("/tickets/settings/canned/new/", {"title": "新", "body": "您好 {customer_mobile}"})
    assert response.status_code == 400 and "{customer_mobile}" in response.content.decode()
    response = client.post("/tickets/settings/canned/new/", {"title": f"{a.marker} 问候", "body": "您好"})
    assert response.status_code == 400
    assert escape(str(MSG_CANNED_TITLE_TAKEN % {"title": f"{a.marker} 问候"})) in response.content.decode()
    with tenant_scope(a.organization):
        assert CannedResponse.objects.count() == 1 and not SettingsChange.objects.exists()


def test_agents_may_not_change_canned_responses_and_lists_stay_in_their_organization():
    a, b = tenant_pair(_seed)
    client = Client()
    client.force_login(a.users[Role.AGENT])
    assert client.get("/tickets/settings/canned/").status_code == 403
    assert client.post("/tickets/settings/canned/new/", {"title": "x", "body": "y"}).status_code == 403
    assert_isolated(Client(), a, b, "/tickets/settings/canned/")
    assert 'href="/admin/tickets/cannedresponse' not in _ops(a).get("/tickets/settings/rules/").content.decode()
