"""@mentions: colleagues named in a note or reply are told, by username or unambiguous display name, even in
Chinese text without spaces; unknown or ambiguous names and other organizations' users are never matched."""

import pytest

from notifications.models import Notification
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.tenancy import tenant_pair
from tests.tickets.factories import TicketFactory
from tickets.models import TicketEvent
from tickets.services import ticket_reply
from tickets.services.mentions import mentions_resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(scoped, make_user):
    return {
        "author": make_user(scoped, Role.AGENT, username="author", display_name="作者"),
        "li": make_user(scoped, Role.AGENT, username="xiaoli", display_name="李小丽"),
        "wang": make_user(scoped, Role.SUPERVISOR, username="wang.boss", display_name="王经理"),
        "zhang1": make_user(scoped, Role.AGENT, username="zhang1", display_name="张伟"),
        "zhang2": make_user(scoped, Role.AGENT, username="zhang2", display_name="张伟"),
    }


def test_a_note_mentioning_two_colleagues_notifies_both_and_records_them(scoped, people):
    ticket = TicketFactory(organization=scoped)

    comment = ticket_reply(ticket=ticket, author=people["author"], public=False,
                           body="@xiaoli 帮忙看一下，@王经理请审批。谢谢 @xiaoli")

    told = Notification.objects.filter(kind=Notification.Kind.MENTIONED).order_by("pk")
    assert [n.recipient for n in told] == [people["li"], people["wang"]]
    assert all(n.ticket == ticket and n.actor == people["author"] for n in told)
    assert ticket.number in told[0].title
    event = TicketEvent.objects.get(comment=comment)
    assert [m["id"] for m in event.after["mentions"]] == [people["li"].pk, people["wang"].pk]


def test_names_are_found_in_chinese_text_without_spaces(scoped, people):
    assert mentions_resolve(organization_id=scoped.pk, body="@李小丽请回电客户") == [people["li"]]
    assert mentions_resolve(organization_id=scoped.pk, body="请 @WANG.BOSS 处理") == [people["wang"]]
    assert mentions_resolve(organization_id=scoped.pk, body="结尾 @xiaoli.") == [people["li"]]


def test_unknown_ambiguous_and_email_addresses_are_ignored(scoped, people):
    ticket = TicketFactory(organization=scoped)
    ticket_reply(ticket=ticket, author=people["author"], public=False,
                 body="@nobody @张伟 请联系 service@xiaoli.com，@ 空")

    assert not Notification.objects.exists()
    assert "mentions" not in TicketEvent.objects.get(kind="comment").after


def test_mentioning_oneself_tells_nobody(scoped, people):
    ticket_reply(ticket=TicketFactory(organization=scoped), author=people["author"], body="@author 记一下",
                 public=False)
    assert not Notification.objects.exists()


def test_users_of_another_organization_are_never_matched(db):
    a, b = tenant_pair()
    with tenant_scope(a.organization):
        ticket = TicketFactory(organization=a.organization)
        ticket_reply(ticket=ticket, author=a.users[Role.AGENT], public=False,
                     body=f"@{b.users[Role.SUPERVISOR].username} @{b.users[Role.AGENT].username}")
    with platform_scope():
        assert not Notification.objects.exists()
