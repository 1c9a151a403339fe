import pytest
from django.test import Client

from scrm.models import Role
from scrm.platform.roles import MODULE_ROLES

pytestmark = pytest.mark.django_db

HOME = {
    Role.OPS_ADMIN: "/settings/", Role.SUPERVISOR: "/tickets/", Role.AGENT: "/tickets/",
    Role.FINANCE: "/settlement/", Role.VIEWER: "/reports/",
}
MODULE_URLS = {
    "tickets": "/tickets/", "customers": "/customers/", "forms": "/forms/", "settlement": "/settlement/",
    "reports": "/reports/", "settings": "/settings/",
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_home(organization, make_user, role):
    client = Client()
    client.force_login(make_user(organization, role))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == HOME[role]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_opens_exactly_its_modules(organization, make_user, role):
    client = Client()
    client.force_login(make_user(organization, role))
    for module, url in MODULE_URLS.items():
        expected = 200 if role in MODULE_ROLES[module] else 403
        assert client.get(url).status_code == expected, (role, module)


def test_agent_is_refused_the_admin_and_settings(agent):
    client = Client()
    client.force_login(agent)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    response = client.get("/settings/")
    assert response.status_code == 403
    assert "data-testid=\"error-title\"" in response.content.decode()


def test_ops_admin_may_use_the_admin(ops_admin):
    client = Client()
    client.force_login(ops_admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/scrm/region/").status_code == 200
    # Organizations are the platform operator's: an ops admin cannot list them.
    assert client.get("/admin/scrm/organization/").status_code == 403


def test_anonymous_visitors_are_sent_to_login():
    response = Client().get("/tickets/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_user_of_an_inactive_organization_is_refused(organization, agent):
    organization.is_active = False
    organization.save(update_fields=["is_active"])
    client = Client()
    client.force_login(agent)
    assert client.get("/tickets/").status_code == 403


def test_api_refuses_a_role_without_the_view_permission(organization, make_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(make_user(organization, Role.FINANCE))
    assert client.get("/api/v1/regions/").status_code == 200
    assert client.get("/api/v1/users/").status_code == 403
    assert APIClient().get("/api/v1/regions/").status_code in (401, 403)


def test_navigation_shows_only_the_modules_of_the_role(agent):
    client = Client()
    client.force_login(agent)
    body = client.get("/tickets/").content.decode()
    shown = {m for m in MODULE_URLS if f'data-module="{m}"' in body}
    assert shown == {"tickets", "customers"}


def test_finance_lands_on_its_settlement_pages_and_reports(organization, make_user):
    client = Client()
    client.force_login(make_user(organization, Role.FINANCE))
    body = client.get("/settlement/").content.decode()
    assert 'data-testid="module-pending"' not in body
    for section in ("reconciliation", "discrepancies", "statements", "partner-statements", "finance-dashboard"):
        assert f'data-testid="section-{section}"' in body, section
    reports = client.get("/reports/").content.decode()
    assert 'data-testid="report-reconciliation-report"' in reports
    assert 'data-testid="report-finance-dashboard"' in reports
    assert "/sla/report/" not in reports  # the SLA report is not finance's


def test_the_settlement_home_shows_only_the_pages_a_role_opens(organization, make_user):
    client = Client()
    client.force_login(make_user(organization, Role.OPS_ADMIN))
    body = client.get("/settlement/").content.decode()
    assert 'data-testid="section-payment-channels"' in body
    assert 'data-testid="section-partner-statements"' not in body  # ops do not read partner statements


def test_an_unknown_page_shows_the_styled_404(agent):
    client = Client()
    client.force_login(agent)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-testid="error-title"' in body and 'data-testid="main-nav"' not in body


def test_the_reports_page_says_what_each_report_answers(organization, make_user):
    """The reports page was a row of bare titles: each card now says, in the reader's language, what the report
    shows, so a new supervisor or finance clerk knows which to open."""
    client = Client()
    client.force_login(make_user(organization, Role.OPS_ADMIN))
    reports = client.get("/reports/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "首次响应与解决的达标率" in reports
    assert "每个支付渠道每天的对账结果" in reports
    english = Client()
    english.force_login(make_user(organization, Role.FINANCE))
    english.cookies["django_language"] = "en"
    body = english.get("/reports/").content.decode()
    assert "Revenue, fees and partner payouts" in body
