"""The platform console shows platform operators, per organization, its admins, its active users, the tickets and
inbound events of each of the last 14 days and the storage it uses; computed in a fixed number of queries however
many organizations there are, and shown to platform operators only."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from channels_ingest.models import ChannelAccount, InboundEvent
from scrm import selectors
from scrm.models import CustomerExport, Role, User
from scrm.platform import console
from scrm.platform.roles import sync_all_role_permissions
from scrm.platform.tenancy import platform_scope
from scrm.services import organization_suspend
from tests.scrm.factories import OrganizationFactory, UserFactory
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SH)


@pytest.fixture
def operator(db):
    with platform_scope():
        return User.objects.create_superuser("platform-operator", password="Sl0w-Turtle!")  # noqa: S106


def _organization(slug, *, tickets_per_day=(), events=0, exported_bytes=(), admins=("ops",), active=1, idle=1):
    """An organization with its admins, users who signed in recently or long ago, tickets on given days back
    (today = 0), inbound events today and export files of the given sizes."""
    with platform_scope():
        organization = OrganizationFactory(slug=slug, name=f"{slug} 公司")
        for name in admins:
            UserFactory(organization=organization, roles=[Role.OPS_ADMIN], username=f"{slug}-{name}",
                        last_login=NOW - timedelta(days=40))
        for index in range(active):
            UserFactory(organization=organization, roles=[Role.AGENT], username=f"{slug}-agent{index}",
                        last_login=NOW - timedelta(days=3))
        for index in range(idle):
            UserFactory(organization=organization, roles=[Role.AGENT], username=f"{slug}-idle{index}",
                        last_login=NOW - timedelta(days=31))
        for days_back, count in tickets_per_day:
            for _ in range(count):
                TicketFactory(organization=organization, created_at=NOW - timedelta(days=days_back))
        if events:
            account = ChannelAccount.objects.create(organization=organization, kind="wechat_oa", slug=f"{slug}-oa",
                                                    name="公众号", app_id="wx1")
            for index in range(events):
                InboundEvent.objects.create(organization=organization, account=account, kind="text",
                                            dedupe_key=f"m{index}", raw="<xml/>")
            InboundEvent.objects.filter(account=account).update(received_at=NOW - timedelta(hours=1))
        requester = User.objects.filter(organization=organization).first()
        for size in exported_bytes:
            CustomerExport.objects.create(organization=organization, requested_by=requester, file_format="csv",
                                          status=CustomerExport.Status.DONE, file=f"exports/{organization.pk}/x.csv",
                                          file_size=size)
        # An expired export keeps its row, not its file: not counted.
        CustomerExport.objects.create(organization=organization, requested_by=requester, file_format="csv",
                                      status=CustomerExport.Status.EXPIRED, file="", file_size=10_000)
    return organization


def _figures():
    with platform_scope(), time_machine.travel(NOW, tick=False):
        return {row.organization.slug: row for row in selectors.console_organizations()}


def test_the_figures_of_each_organization():
    _organization("acme", tickets_per_day=[(0, 2), (1, 1), (13, 1), (14, 5)], events=3, exported_bytes=[1500, 500],
                  admins=("ops", "boss"), active=2, idle=1)
    _organization("globex", tickets_per_day=[(0, 1)])

    figures = _figures()
    acme = figures["acme"]
    assert acme.admins == ["acme-boss", "acme-ops"]
    assert (acme.active_users, acme.users) == (2, 5)
    # 14 days, oldest first, today last; the ticket of 14 days ago is outside the window.
    assert acme.daily["tickets"] == [1] + [0] * 11 + [1, 2]
    assert acme.daily["inbound_events"] == [0] * 13 + [3]
    assert acme.daily_totals == {"tickets": 4, "inbound_events": 3}
    assert acme.stored["customer_exports"] == 2000 and acme.stored_bytes == 2000
    globex = figures["globex"]
    assert (globex.daily_totals, globex.stored_bytes, globex.admins) == (
        {"tickets": 1, "inbound_events": 0}, 0, ["globex-ops"])


def test_every_kind_of_stored_file_is_counted():
    assert {item.key for item in console.stored_files()} == {
        "attachments", "inbound_media", "customer_imports", "customer_exports"}
    assert {item.key for item in console.daily_counts()} == {"tickets", "inbound_events"}


def test_the_number_of_queries_does_not_grow_with_the_organizations(django_assert_num_queries):
    _organization("acme", tickets_per_day=[(0, 1)], events=1, exported_bytes=[10])
    with django_assert_num_queries(9):  # organizations, admins, users, 2 daily series, 4 kinds of files
        _figures()
    for slug in ("b", "c", "d", "e"):
        _organization(slug, tickets_per_day=[(0, 3), (2, 1)], events=2, exported_bytes=[10, 20])
    with django_assert_num_queries(9):
        assert len(_figures()) == 5


def test_the_console_page_shows_the_figures_to_a_platform_operator(operator, client):
    acme = _organization("acme", tickets_per_day=[(0, 2)], exported_bytes=[2048])
    organization_suspend(organization=acme, by=operator)
    client.force_login(operator)

    with time_machine.travel(NOW, tick=False):
        listing = client.get("/admin/scrm/organization/").content.decode()
        assert "/admin/scrm/organization/console/" in listing
        page = client.get("/admin/scrm/organization/console/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "acme 公司" in html and "acme-ops" in html
    assert 'data-series="tickets">2<' in html
    assert "1 / 3" in html  # one of its three users signed in within 30 days
    assert 'data-bytes="2048"' in html
    assert 'id="platform-console-data"' in html


def test_only_platform_operators_see_the_console(organization, ops_admin, client):
    assert client.get("/admin/scrm/organization/console/").status_code == 302  # to the sign-in page
    client.force_login(ops_admin)  # an organization's own admin, staff of its own admin
    assert client.get("/admin/scrm/organization/console/").status_code == 403
    assert Client().get("/admin/scrm/organization/console/").status_code == 302


def test_the_sign_in_logs_in_the_admin_read_in_chinese(operator):
    """The platform operator's sign-in logs (django-axes, which ships no Chinese) read "Access logs",
    "User Agent", "Attempt Time" in the Chinese admin."""
    client = Client()
    client.force_login(operator)
    index = client.get("/admin/axes/").content.decode()
    assert "登录日志" in index and "登录尝试" in index and "Access logs" not in index
    page = client.get("/admin/axes/accesslog/").content.decode()
    assert "浏览器标识" in page and "尝试时间" in page
    assert "User Agent" not in page and "Attempt Time" not in page


def test_the_sign_in_lockouts_app_has_a_chinese_name_in_the_admin(operator):
    """django-axes' app read "Axes" (its package name) in the platform operator's admin: index, app page, and the
    breadcrumbs of its logs."""
    client = Client()
    client.force_login(operator)
    for path in ("/admin/", "/admin/axes/", "/admin/axes/accesslog/"):
        page = client.get(path).content.decode()
        assert "登录防护" in page, path
        assert "Axes" not in page, path


def test_an_organization_without_admin_gets_its_first_one_from_the_console(operator):
    """A new organization's row said '—' under 管理员 and the user add page had no organization or role: the
    operator saved a user of no organization, then had to find both on the next page. Now the row links to an add
    page with the organization and the ops admin role filled in, and one save makes the admin who can sign in."""
    sync_all_role_permissions()  # a transactional test before this one may have truncated the role groups
    with platform_scope():
        from scrm.services import organization_create

        organization = organization_create(slug="globex", name="环球科技")
    client = Client()
    client.force_login(operator)
    console_page = client.get("/admin/scrm/organization/console/").content.decode()
    link = console_page.split('data-testid="console-add-admin"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert link.replace("&amp;", "&").startswith(f"/admin/scrm/user/add/?organization={organization.pk}&groups=")

    add_page = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'<option value="{organization.pk}" selected>' in add_page  # both filled in from the link
    group_id = link.rsplit("=", 1)[1]
    form = {"username": "gina", "usable_password": "true", "password1": "Globex-Admin-2026!",
            "password2": "Globex-Admin-2026!", "organization": organization.pk, "groups": [group_id], "_save": "1"}
    answer = client.post("/admin/scrm/user/add/", form)
    assert answer.status_code == 302

    with platform_scope():
        gina = User.objects.get(username="gina")
        assert gina.organization_id == organization.pk
        assert gina.is_staff and list(gina.groups.values_list("name", flat=True)) == [Role.OPS_ADMIN]
    assert "gina" in client.get("/admin/scrm/organization/console/").content.decode()
    admin = Client()
    assert admin.post("/accounts/login/", {"username": "gina", "password": "Globex-Admin-2026!"}).url == "/"
