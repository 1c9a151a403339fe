"""The bell's panel: a click on the bell loads the newest few of my notifications (unread first), each worded in my
language with its kind and a link that opens it and marks it read; "mark all read" empties the count."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify
from notifications.views import PANEL_SIZE
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.scrm.factories import UserFactory
from tests.tenancy import tenant_pair
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
PANEL = "/notifications/bell/panel/"


def _tell(user, title="", kind=Kind.MENTIONED, **kwargs):
    with tenant_scope(user.organization_id):
        return notify(recipient=user, kind=kind, title=title, **kwargs)


def _items(body):
    return body.count('data-testid="notification-panel-item"')


def test_the_panel_shows_my_newest_unread_first_worded_for_me(client, organization, make_user,
                                                            django_assert_max_num_queries):
    agent = make_user(organization, Role.AGENT)
    colleague = make_user(organization, Role.AGENT)
    supervisor = make_user(organization, Role.SUPERVISOR)
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization)
    old_unread = _tell(agent, "很久以前的未读")
    read = _tell(agent, "刚读过的")
    with tenant_scope(organization):
        Notification.objects.filter(pk=old_unread.pk).update(created_at=timezone.now() - timedelta(days=3))
        Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    # A coded title (no title given): worded in the reader's language, never its code.
    assigned = _tell(agent, kind=Kind.ASSIGNED, ticket=ticket, actor=supervisor)
    _tell(colleague, "同事的提醒")
    client.force_login(agent)

    with django_assert_max_num_queries(8):
        response = client.get(PANEL, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "同事的提醒" not in body
    assert f"工单 {ticket.number} 已分配给你" in body and "notifications.title_" not in body
    assert "工单已指派" in body  # the kind's badge
    positions = [body.index(text) for text in (f"工单 {ticket.number}", "很久以前的未读", "刚读过的")]
    assert positions == sorted(positions)
    assert body.count('data-unread="true"') == 2
    assert f'href="/notifications/{assigned.pk}/open/"' in body
    assert "全部标为已读" in body and "查看全部" in body and 'href="/notifications/"' in body
    assert "没有新通知" not in body
    # The bell's count rides along, swapped in out of band: it agrees with the panel.
    assert 'hx-swap-oob="true"' in body and 'data-testid="notification-count">2<' in body


def test_the_panel_is_bounded_to_the_newest_few(client, organization, make_user, django_assert_max_num_queries):
    agent = make_user(organization, Role.AGENT)
    with tenant_scope(organization):
        tickets = [TicketFactory(organization=organization) for _ in range(3)]
    for n in range(PANEL_SIZE + 14):
        _tell(agent, f"提醒{n:02d}", ticket=tickets[n % 3])
    client.force_login(agent)

    with django_assert_max_num_queries(8):
        body = client.get(PANEL).content.decode()

    assert _items(body) == PANEL_SIZE
    assert f"提醒{PANEL_SIZE + 13:02d}" in body and "提醒00" not in body


def test_nothing_new_says_so(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    client.force_login(agent)

    body = client.get(PANEL).content.decode()

    assert "没有新通知" in body
    assert _items(body) == 0
    assert "全部标为已读" not in body and "notification-count" not in body
    assert "查看全部" in body


def test_the_page_does_not_load_the_panel_the_bell_does(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    _tell(agent, "页面上不该直接出现")
    client.force_login(agent)

    body = client.get("/customers/").content.decode()

    assert 'hx-get="/notifications/bell/panel/"' in body and 'hx-trigger="show.bs.dropdown"' in body
    assert 'data-bs-toggle="dropdown"' in body
    assert "页面上不该直接出现" not in body
    assert "<script>" not in body and " style=" not in body  # CSP: no inline script or style


def test_marking_all_read_in_the_panel_empties_the_count(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    colleague = make_user(organization, Role.AGENT)
    mine = [_tell(agent, f"我的提醒{n}") for n in range(3)]
    theirs = _tell(colleague, "同事的提醒")
    client.force_login(agent)

    response = client.post("/notifications/bell/panel/read-all/", HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "没有新通知" in body and "notification-count" not in body and 'hx-swap-oob="true"' in body
    assert _items(body) == 3 and 'data-unread="true"' not in body
    with tenant_scope(organization):
        assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).exists()
        assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert "notification-count" not in client.get("/notifications/bell/").content.decode()
    assert client.get("/notifications/bell/panel/read-all/").status_code == 405


def test_opening_one_from_the_panel_marks_it_read(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, assignee=agent)
    first = _tell(agent, "提醒一", ticket=ticket)
    _tell(agent, "提醒二")
    client.force_login(agent)
    body = client.get(PANEL).content.decode()
    href = f"/notifications/{first.pk}/open/"
    assert f'href="{href}"' in body

    response = client.get(href)

    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    body = client.get(PANEL).content.decode()
    assert 'data-testid="notification-count">1<' in body
    assert body.count('data-unread="true"') == 1


def test_another_organizations_notifications_never_show(client):
    def seed(tenant):
        notify(recipient=tenant.users[Role.AGENT], kind=Kind.MENTIONED, title=f"{tenant.marker} 提醒")

    a, b = tenant_pair(seed)
    client.force_login(a.users[Role.AGENT])

    body = client.get(PANEL).content.decode()

    assert a.marker in body and b.marker not in body
    client.post("/notifications/bell/panel/read-all/")
    with tenant_scope(b.organization):
        assert Notification.objects.get(recipient=b.users[Role.AGENT]).read_at is None


def test_the_panel_is_for_signed_in_staff_of_an_organization(client, db):
    assert client.get(PANEL).status_code == 302
    assert client.post("/notifications/bell/panel/read-all/").status_code == 302
    with platform_scope():
        operator = UserFactory(organization=None, roles=[Role.OPS_ADMIN], is_superuser=True, is_staff=True)
    client.force_login(operator)
    assert client.get(PANEL).status_code == 403
