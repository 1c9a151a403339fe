"""SLA settings in a real browser: ops open their policy from the settings page (no Django admin), change the P1
first-response target, see the preview of due times change as they type, save, and the saved policy keeps it."""

import pytest
from playwright.sync_api import expect

from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from sla.models import PRESET_24X7, SLAPolicy
from sla.services import calendar_create
from tests.e2e.conftest import login
from tests.e2e.test_list_layout import MEASURE
from tests.scrm.factories import TEST_PASSWORD, UserFactory
from tests.sla.factories import sla_policy

pytestmark = pytest.mark.e2e


@pytest.fixture
def sla_desk(organization):
    with platform_scope():
        UserFactory(organization=organization, username="ops", roles=[Role.OPS_ADMIN])
    with tenant_scope(organization):
        calendar = calendar_create(organization=organization, name="全天", weekly_hours=PRESET_24X7,
                                   follows_china_holidays=False)
        return sla_policy(organization, calendar, name="标准服务")


def test_ops_change_the_p1_first_response_target_and_see_the_due_times_change(page, live_server, sla_desk):
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/settings/")
    expect(page.locator("[data-testid=settings-pages]")).to_contain_text("SLA")
    page.locator("[data-testid=settings-pages] a[href='/sla/policies/']").click()
    page.get_by_role("link", name="标准服务").click()
    first_due = page.locator("[data-testid=preview-p1-first]")
    before = first_due.inner_text()
    assert before

    page.fill("#id_targets-0-first_response_minutes", "600")
    page.locator("#id_targets-0-first_response_minutes").dispatch_event("change")
    expect(first_due).not_to_have_text(before)
    previewed = first_due.inner_text()

    page.click("[data-testid=policy-save]")
    expect(page.locator(".alert-success, [role=alert]").first).to_be_visible()
    expect(page.locator("#id_targets-0-first_response_minutes")).to_have_value("600")
    expect(page.locator("[data-testid=settings-changes]")).to_be_visible()
    assert page.locator("[data-testid=preview-p1-first]").inner_text()[:10] == previewed[:10]
    assert page.locator("main a[href^='/admin/']").count() == 0
    with tenant_scope(sla_desk.organization):
        assert SLAPolicy.objects.get().targets.get(priority=1).first_response_minutes == 600


def test_removing_a_holiday_from_a_calendar_asks_first(page, live_server, sla_desk, organization):
    import datetime

    from django.utils import timezone

    from sla.models import CalendarDay
    from sla.services import calendar_day_save

    calendar = sla_desk.calendar
    day_date = datetime.date(timezone.localdate().year, 12, 25)
    with tenant_scope(organization):
        ops = calendar.organization.users.get(username="ops")
        calendar_day_save(calendar=calendar, by=ops, date=day_date, kind=CalendarDay.Kind.HOLIDAY, name="公司年会")
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/sla/calendars/{calendar.pk}/?year={day_date.year}")

    page.click("[data-testid=calendar-day-remove]")  # one click only asks
    confirm = page.locator("[data-testid=calendar-day-remove-confirm]")
    expect(confirm).to_be_visible()
    with tenant_scope(organization):
        assert CalendarDay.objects.filter(calendar=calendar, date=day_date).exists()
    confirm.click()
    expect(page.locator("[data-testid=calendar-day]")).to_have_count(0)
    with tenant_scope(organization):
        assert not CalendarDay.objects.filter(calendar=calendar, date=day_date).exists()


@pytest.mark.parametrize(("language", "width"), [("zh-hans", 1280), ("zh-hans", 1366), ("en", 1280)])
def test_the_policy_preview_fits_its_card(page, live_server, sla_desk, language, width):
    """The preview beside the policy at 1280–1366 px: 优先级 stood one character a line, a due time broke inside its
    date ("2026-12-" / "05 06:22"), and in English the table ran out of its card and the page scrolled sideways. Each
    due time is now its date over its time, each whole, and the table stays in its card."""
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, live_server, "ops", TEST_PASSWORD)
    page.set_viewport_size({"width": width, "height": 768})
    page.goto(f"{live_server.url}/sla/policies/{sla_desk.pk}/")
    expect(page.locator("[data-testid=preview-p1-first]")).to_contain_text(":")
    m = page.locator("[data-testid=policy-preview]").evaluate(MEASURE)
    assert m["lastHead"] <= m["box"] + 0.5 and m["lastCell"] <= m["box"] + 0.5 and m["scroll"] <= 0
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    if language == "zh-hans":
        assert [text for text, lines in m["heads"] if lines > 1] == []
    # Every date and every time of the preview on one line ("2026-12-05" over "06:22").
    broken = page.locator("[data-testid=policy-preview] tbody td .text-nowrap").evaluate_all(
        """spans => spans.filter(s => s.getClientRects().length > 1 || s.offsetHeight > 1.5 * parseFloat(
               getComputedStyle(s).lineHeight)).map(s => s.textContent)""")
    assert broken == []
    assert page.locator("[data-testid=policy-preview] tbody td .text-nowrap").count() >= 12
