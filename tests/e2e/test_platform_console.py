"""The platform console in a real browser: a platform operator signs in to the console and sees each
organization's figures with its per-day sparkline drawn (Chart.js from static/vendor, under the strict CSP)."""

from playwright.sync_api import expect

from scrm.models import User
from scrm.platform.tenancy import platform_scope
from tests.scrm.factories import OrganizationFactory, UserFactory
from tests.tickets.factories import TicketFactory

PASSWORD = "Sl0w-Turtle!"  # noqa: S105


def test_a_platform_operator_sees_every_organization_with_its_sparkline(page, live_server):
    with platform_scope():
        User.objects.create_superuser("platform-operator", password=PASSWORD)
        for slug in ("acme", "globex"):
            organization = OrganizationFactory(slug=slug, name=f"{slug} 公司")
            UserFactory(organization=organization, roles=["ops_admin"], username=f"{slug}-ops")
            TicketFactory(organization=organization)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(
        f"{message.text} {message.location.get('url', '')}"))
    page.on("response", lambda response: response.status >= 400 and errors.append(response.url))

    page.goto(f"{live_server.url}/admin/login/?next=/admin/scrm/organization/")
    page.fill("#id_username", "platform-operator")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.click("text=平台控制台")

    table = page.locator("[data-testid=platform-console]")
    expect(table).to_be_visible()
    expect(table.locator("tr[data-organization=acme]")).to_contain_text("acme-ops")
    expect(table.locator("tr[data-organization=globex] td[data-series=tickets]")).to_have_text("1")
    # The table shows before the parser reaches the page's scripts at its end: wait until both sparklines are drawn
    # (a page that never draws them fails here, on the timeout).
    page.wait_for_function("window.Chart !== undefined && Array.from(document.querySelectorAll("
                           "'canvas.console-spark')).filter((canvas) => Chart.getChart(canvas)).length === 2")
    drawn = page.evaluate("Array.from(document.querySelectorAll('canvas.console-spark'))"
                          ".map((canvas) => Chart.getChart(canvas) !== undefined)")
    assert drawn == [True, True]
    # The browser's own favicon request is refused like any path outside the console (a platform operator's).
    errors = [error for error in errors if not error.endswith("/favicon.ico")]
    assert errors == [], "\n".join(errors)
