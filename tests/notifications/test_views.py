"""The notification centre and the bell: each user sees only their own notifications, unread first, and can
open one (it becomes read) or mark them all read."""

import pytest

from notifications.errors import MSG_ALL_READ, MSG_TICKET_OUT_OF_REACH
from notifications.models import Notification
from notifications.services import notify
from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from tests.tenancy import assert_isolated, tenant_pair
from tests.tickets.factories import TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


def _tell(user, title, **kwargs):
    with tenant_scope(user.organization_id):
        return notify(recipient=user, kind=Kind.MENTIONED, title=title, **kwargs)


def test_the_centre_lists_my_notifications_unread_first(client, organization, make_user,
                                                        django_assert_max_num_queries):
    agent = make_user(organization, Role.AGENT)
    colleague = make_user(organization, Role.AGENT)
    old = _tell(agent, "旧的提醒")
    for n in range(3):
        _tell(agent, f"新提醒{n}")
    _tell(colleague, "同事的提醒")
    with tenant_scope(organization):
        Notification.objects.filter(pk=old.pk).update(read_at=old.created_at)
        _tell(agent, "最早的未读")
    client.force_login(agent)

    with django_assert_max_num_queries(12):
        response = client.get("/notifications/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "同事的提醒" not in body
    positions = [body.index(title) for title in ("最早的未读", "新提醒2", "新提醒0", "旧的提醒")]
    assert positions == sorted(positions)
    assert body.count('data-unread="true"') == 4


def test_the_bell_counts_unread_and_opening_one_marks_it_read(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, assignee=agent)
    first = _tell(agent, "提醒一", ticket=ticket)
    _tell(agent, "提醒二", url="/customers/")
    client.force_login(agent)

    bell = client.get("/notifications/bell/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="notification-count">2<' in bell
    assert 'hx-trigger="every 30s"' in bell

    response = client.get(f"/notifications/{first.pk}/open/")
    assert response.status_code == 302 and response["Location"].startswith("/tickets/")
    with tenant_scope(organization):
        first.refresh_from_db()
    assert first.read_at is not None
    assert 'data-testid="notification-count">1<' in client.get("/notifications/bell/").content.decode()

    assert client.post("/notifications/read-all/").status_code == 302
    with tenant_scope(organization):
        assert not Notification.objects.filter(recipient=agent, read_at__isnull=True).exists()
    assert "notification-count" not in client.get("/notifications/bell/").content.decode()


def test_someone_elses_notification_cannot_be_opened_or_marked(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    colleague = make_user(organization, Role.AGENT)
    theirs = _tell(colleague, "同事的提醒")
    client.force_login(agent)

    assert client.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    with tenant_scope(organization):
        theirs.refresh_from_db()
    assert theirs.read_at is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/notifications/bell/").status_code == 302


def test_the_bell_sits_in_the_top_bar_of_every_page(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    _tell(agent, "提醒")
    client.force_login(agent)
    body = client.get("/customers/").content.decode()
    assert 'data-testid="notification-bell"' in body
    assert 'hx-get="/notifications/bell/"' in body


def test_tenants_never_see_each_others_notifications(client):
    def seed(tenant):
        for role in (Role.AGENT, Role.SUPERVISOR):
            notify(recipient=tenant.users[role], kind=Kind.ESCALATED, title=f"{tenant.marker} 升级提醒")

    a, b = tenant_pair(seed)
    assert_isolated(client, a, b, "/notifications/", role=Role.AGENT)
    with tenant_scope(b.organization):
        foreign = Notification.objects.filter(recipient=b.users[Role.AGENT]).get()
    assert client.get(f"/notifications/{foreign.pk}/open/").status_code == 404


def test_the_centre_costs_the_same_for_three_notifications_and_a_full_page(client, organization, make_user):
    from notifications.views import PER_PAGE
    from tests.queries import assert_same_cost, queries_of

    agent = make_user(organization, Role.AGENT)
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization)
    for n in range(3):
        _tell(agent, f"提醒{n}", ticket=ticket)
    client.force_login(agent)
    client.get("/notifications/")  # the session is written on the first request
    short, few = queries_of(lambda: client.get("/notifications/"))
    for n in range(PER_PAGE):
        _tell(agent, f"更多提醒{n}", ticket=ticket)
    long, many = queries_of(lambda: client.get("/notifications/"))
    assert short.content.decode().count("提醒") < long.content.decode().count("提醒")
    assert_same_cost(few, many, what="/notifications/")


def test_a_notification_about_a_ticket_moved_out_of_reach_says_so_instead_of_a_404(client, organization,
                                                                                     make_user):
    """An agent told "工单 X 已分配给你" opened it after X had been given to another team's agent: the link
    answered 404. It now comes back to the list saying why, and still counts as read."""
    agent = make_user(organization, Role.AGENT)
    other = make_user(organization, Role.AGENT)
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, assignee=agent)
    told = _tell(agent, "工单已分配给你", ticket=ticket, url=f"/tickets/{ticket.pk}/")
    client.force_login(agent)
    assert client.get(f"/notifications/{told.pk}/open/")["Location"] == f"/tickets/{ticket.pk}/"
    with tenant_scope(organization):
        Ticket.objects.filter(pk=ticket.pk).update(assignee=other)

    response = client.get(f"/notifications/{told.pk}/open/", follow=True)
    assert response.redirect_chain == [("/notifications/", 302)]
    assert str(MSG_TICKET_OUT_OF_REACH % {"number": ticket.number}) in response.content.decode()


def test_marking_read_keeps_the_page_and_read_all_says_how_many(client, organization, make_user):
    """Marking one read on page 2 went back to page 1, and "mark all read" changed the list without a word."""
    agent = make_user(organization, Role.AGENT)
    told = [_tell(agent, f"提醒{n}") for n in range(25)]
    client.force_login(agent)
    page_two = client.get("/notifications/?page=2").content.decode()
    assert 'name="page" value="2"' in page_two

    response = client.post(f"/notifications/{told[0].pk}/read/", {"page": "2"})
    assert response["Location"] == "/notifications/?page=2"
    assert client.post(f"/notifications/{told[1].pk}/read/", {"page": "x"})["Location"] == "/notifications/"

    response = client.post("/notifications/read-all/", follow=True)
    assert str(MSG_ALL_READ % {"count": 23}) in response.content.decode()
    with tenant_scope(organization):
        assert not Notification.objects.filter(recipient=agent, read_at__isnull=True).exists()
