"""A new organization's ops admin lands on the settings page: it lists what to set up, in order, each step linking to
its page and marked done once made; the list goes once every step is done."""

import re

import pytest
from django.test import Client

from scrm.models import AgentProfile, Role, User
from scrm.platform.roles import sync_all_role_permissions
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.services import organization_create
from tests.scrm.factories import TEST_PASSWORD, RegionFactory, TeamFactory, UserFactory
from tests.tickets.factories import QueueFactory, RoutingRuleFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db

STEPS = ["regions", "teams", "people", "ticket-types", "queues", "sla-policies", "routing-rules", "channel-accounts",
         "forms"]


def _steps(html):
    return re.findall(r'data-step="([^"]+)" data-done="(true|false)"', html)


def _page(client):
    answer = client.get("/settings/")
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.fixture
def fresh():
    sync_all_role_permissions()  # a transactional test before this one may have truncated the role groups
    with platform_scope():
        organization = organization_create(slug="acme", name="艾克美电器", admin_username="alice",
                                           admin_password=TEST_PASSWORD)
        alice = User.objects.get(username="alice")
    client = Client()
    client.force_login(alice)
    return organization, client


def test_the_first_screen_of_an_empty_organization_lists_every_step_in_order(fresh):
    _organization, client = fresh
    answer = client.get("/", follow=True)
    html = answer.content.decode()

    assert answer.redirect_chain[-1][0] == "/settings/"
    assert _steps(html) == [(key, "false") for key in STEPS]
    for url in ("/settings/regions/", "/settings/teams/", "/settings/users/", "/tickets/settings/types/",
                "/tickets/settings/queues/",
                "/sla/policies/", "/tickets/settings/rules/", "/settings/channels/", "/forms/"):
        assert f'href="{url}"' in html
    assert "开始使用" in html  # Chinese first


def test_a_step_made_is_marked_done_and_the_list_goes_when_all_are(fresh):
    organization, client = fresh
    with tenant_scope(organization):
        region = RegionFactory(organization=organization)
        team = TeamFactory(organization=organization)
    assert dict(_steps(_page(client))) == {**{key: "false" for key in STEPS}, "regions": "true", "teams": "true"}

    from channels_ingest.models import ChannelAccount
    from forms_builder.models import Form
    from sla.models import BusinessCalendar, SLAPolicy

    with tenant_scope(organization):
        agent = UserFactory(organization=organization, roles=[Role.AGENT])
        AgentProfile.objects.create(organization=organization, user=agent, team=team)
        TicketTypeFactory(organization=organization)
        QueueFactory(organization=organization, team=team)
        RoutingRuleFactory(organization=organization)
        SLAPolicy.objects.create(organization=organization, name="标准", calendar=BusinessCalendar.objects.first())
        ChannelAccount.objects.create(organization=organization, kind=ChannelAccount.Kind.WECHAT_OA, slug="acme-oa",
                                      name="公众号", app_id="wx0001")
        Form.objects.create(organization=organization, name="报修", slug="repair")
    html = _page(client)
    assert _steps(html) == []
    assert 'data-testid="onboarding"' not in html
    assert region.name in html
