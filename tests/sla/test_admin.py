"""Ops edit calendars and policies in the admin: bad input (overlapping spans, no working time, a zero target, a
ladder out of order) is refused with a clear message and nothing is saved; rows stay in their organization."""

import json

import pytest
from django.test import Client
from django.utils.html import escape

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from sla.models import (
    MSG_LADDER_ORDER,
    MSG_NO_WORKING_TIME,
    MSG_SPANS_OVERLAP,
    MSG_TARGET_POSITIVE,
    PRESET_OFFICE,
    BusinessCalendar,
    EscalationStep,
    SLAPolicy,
)
from tests.sla.factories import office_calendar
from tests.tenancy import assert_isolated, tenant_pair

pytestmark = pytest.mark.django_db


def _seed(tenant):
    office_calendar(tenant.organization, name=f"{tenant.marker} 工作日", china=False)


def _management(prefix, total):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000"}


def _calendar_post(client, weekly):
    return client.post("/admin/sla/businesscalendar/add/", {
        "name": "新日历", "time_zone": "Asia/Shanghai", "preset": "custom", "weekly_hours": json.dumps(weekly),
        **_management("days", 0),
    })


def test_calendars_are_validated_in_the_admin():
    a, _b = tenant_pair(_seed)
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    response = _calendar_post(client, {"mon": []})
    assert response.status_code == 200 and str(MSG_NO_WORKING_TIME) in response.content.decode()
    response = _calendar_post(client, {"mon": ["09:00-12:00", "11:30-18:00"]})
    overlap = MSG_SPANS_OVERLAP % {"day": "mon", "spans": "09:00-12:00, 11:30-18:00"}
    assert response.status_code == 200 and escape(str(overlap)) in response.content.decode()
    with tenant_scope(a.organization):
        assert not BusinessCalendar.objects.filter(name="新日历").exists()
    assert _calendar_post(client, PRESET_OFFICE).status_code == 302


def _policy_post(client, calendar, first_response, steps):
    data = {"name": "新策略", "position": "1", "is_active": "on", "calendar": str(calendar.pk),
            **_management("targets", 1), **_management("steps", len(steps)),
            "targets-0-priority": "3", "targets-0-first_response_minutes": str(first_response),
            "targets-0-resolution_minutes": "960"}
    for n, step in enumerate(steps):
        data.update({f"steps-{n}-{key}": value for key, value in step.items()})
    return client.post("/admin/sla/slapolicy/add/", data)


def test_policies_and_ladders_are_validated_in_the_admin():
    a, _b = tenant_pair(_seed)
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    with tenant_scope(a.organization):
        calendar = BusinessCalendar.objects.get()
    breach = {"position": "1", "metric": "resolution", "trigger": "breach", "trigger_value": "0",
              "notify_supervisor": "on"}
    early = {"position": "2", "metric": "resolution", "trigger": "percent", "trigger_value": "75",
             "notify_assignee": "on"}
    response = _policy_post(client, calendar, 0, [])
    assert response.status_code == 200 and str(MSG_TARGET_POSITIVE).split("%(")[0] in response.content.decode()
    response = _policy_post(client, calendar, 60, [breach, early])
    assert response.status_code == 200
    assert str(MSG_LADDER_ORDER % {"position": 2, "trigger": "75%"}) in response.content.decode()
    with tenant_scope(a.organization):
        assert not SLAPolicy.objects.exists() and not EscalationStep.objects.exists()
    response = _policy_post(client, calendar, 60, [{**early, "position": "1"}, {**breach, "position": "2"}])
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_scope(a.organization):
        assert SLAPolicy.objects.get().steps.count() == 2


@pytest.mark.parametrize("model", ["businesscalendar", "slapolicy"])
def test_the_sla_admin_pages_show_only_their_organizations_rows(model):
    a, b = tenant_pair(_seed)
    assert_isolated(Client(), a, b, f"/admin/sla/{model}/" if model == "businesscalendar"
                    else "/admin/sla/slapolicy/add/")
