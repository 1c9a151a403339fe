"""The supervisor board as an operations screen: its figures for a seeded desk (agents, queues, today), who may open
it, the one-click assign of an at-risk ticket, and a bounded number of queries whatever the size of the desk."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from scrm.models import AgentProfile, DataScope, Role
from scrm.services.roles import role_assign, role_save
from tests.scrm.factories import RegionFactory, TeamFactory, UserFactory
from tests.sla.factories import office_calendar, sla_policy
from tests.tickets.factories import AgentProfileFactory, CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.models import AgentLoad, SatisfactionSurvey, Ticket
from tickets.selectors import board_live
from tickets.services import agent_load_recount

pytestmark = pytest.mark.django_db

Status = Ticket.Status
ONLINE, AWAY, OFFLINE = AgentProfile.Status.ONLINE, AgentProfile.Status.AWAY, AgentProfile.Status.OFFLINE
# Noon in Shanghai: "today" began twelve hours earlier, at midnight Asia/Shanghai (16:00 UTC the day before).
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MIN = timedelta(minutes=1)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _ticket(org, queue, *, created, status=Status.NEW, assignee=None, **fields):
    ticket = TicketFactory(organization=org, queue=queue, status=status, assignee=assignee, created_at=created)
    if fields:
        Ticket.objects.filter(pk=ticket.pk).update(**fields)
        ticket.refresh_from_db()
    return ticket


def _rating(org, ticket, rating, at):
    SatisfactionSurvey.objects.create(organization=org, ticket=ticket, token=f"{org.pk}-{ticket.pk}-{rating}",
                                      rating=rating, answered_at=at, expires_at=at + timedelta(days=7))


def _led_team(org):
    """An office-hours SLA policy and the after-sales team (售后组) led by the supervisor "boss"."""
    team = TeamFactory(organization=org, name="售后组")
    supervisor = UserFactory(organization=org, username="boss", roles=[Role.SUPERVISOR])
    team.leader = supervisor
    team.save(update_fields=["leader"])
    return sla_policy(org, office_calendar(org)), team, supervisor


@pytest.fixture
def floor(scoped):
    """Two queues of the supervisor's team, one of another team; three agents of the team, one outside it."""
    org = scoped
    policy, team, supervisor = _led_team(org)
    q1 = QueueFactory(organization=org, name="售后一线", code="l1", team=team, auto_assign=False)
    q2 = QueueFactory(organization=org, name="安装预约", code="inst", team=team, auto_assign=False)
    q3 = QueueFactory(organization=org, name="财务专席", code="fin", auto_assign=False)
    a1 = make_agent(org, queues=[q1], username="a1-li", team=team, status=ONLINE, max_open_tickets=5)
    a2 = make_agent(org, queues=[q2], username="a2-wang", team=team, status=AWAY, max_open_tickets=2)
    a3 = make_agent(org, username="a3-zhao", team=team, status=OFFLINE, max_open_tickets=3)
    a4 = make_agent(org, queues=[q3], username="a4-qian", status=ONLINE)

    at_risk = {"sla_policy": policy, "sla_warn_at": NOW - 5 * MIN, "resolution_due_at": NOW + 30 * MIN}
    t1 = _ticket(org, q1, created=NOW - 50 * MIN, **at_risk)
    _ticket(org, q1, created=NOW - 20 * MIN, status=Status.OPEN)
    t3 = _ticket(org, q1, created=NOW - 180 * MIN, status=Status.OPEN, assignee=a1, sla_policy=policy,
                 sla_breached=True)
    _ticket(org, q1, created=NOW - timedelta(days=2), status=Status.PENDING, assignee=a1)
    t5 = _ticket(org, q1, created=NOW - 120 * MIN, status=Status.RESOLVED, assignee=a1,
                 first_response_at=NOW - 110 * MIN, resolved_at=NOW - 60 * MIN)
    # Paused at risk: not counted at risk; answered in 30 minutes.
    t6 = _ticket(org, q2, created=NOW - 40 * MIN, assignee=a2, first_response_at=NOW - 10 * MIN,
                 paused_since=NOW - 2 * MIN, **at_risk)
    # Opened yesterday (Shanghai), answered today after two hours, still waiting in the queue.
    _ticket(org, q2, created=NOW - 13 * 60 * MIN, status=Status.OPEN, first_response_at=NOW - 11 * 60 * MIN)
    t8 = _ticket(org, q3, created=NOW - 5 * MIN, sla_policy=policy, sla_breached=True)
    _rating(org, t5, 5, NOW - 30 * MIN)
    _rating(org, t6, 2, NOW - 5 * MIN)
    _rating(org, t3, 4, NOW - 13 * 60 * MIN)  # yesterday
    _rating(org, t8, 5, NOW - 1 * MIN)
    agent_load_recount(organization=org)  # the load counters, as the services keep them
    return {"org": org, "supervisor": supervisor, "q1": q1, "q2": q2, "q3": q3, "a1": a1, "a2": a2, "a3": a3,
            "a4": a4, "t1": t1}


def _agents(live):
    return {a.user.username: (a.profile.status, a.load, a.capacity, a.oldest_waiting_at) for a in live.agents}


def _queues(live):
    return {q.queue.name: (q.waiting, q.longest_waiting_since, q.at_risk, q.breached) for q in live.queues}


def test_the_supervisor_sees_their_teams_agents_queues_and_todays_figures(floor):
    live = board_live(user=floor["supervisor"], now=NOW)
    assert _agents(live) == {
        "a1-li": (ONLINE, 2, 5, NOW - 180 * MIN),  # the pending ticket waits on the customer, not on them
        "a2-wang": (AWAY, 1, 2, NOW - 40 * MIN),
        "a3-zhao": (OFFLINE, 0, 3, None),
    }
    assert _queues(live) == {
        "售后一线": (2, NOW - 50 * MIN, 1, 1),
        "安装预约": (1, NOW - 13 * 60 * MIN, 0, 0),
    }
    today = live.today
    assert today.start == NOW - 12 * 60 * MIN
    assert (today.created, today.solved) == (5, 1)
    assert today.first_response_median == timedelta(minutes=30)  # of 10, 30 and 120 minutes
    assert (today.ratings, today.satisfied, today.satisfaction_percent, today.rating_average) == (2, 1, 50, 3.5)


def test_ops_see_the_whole_organization(floor, make_user):
    live = board_live(user=make_user(floor["org"], Role.OPS_ADMIN), now=NOW)
    assert set(_agents(live)) == {"a1-li", "a2-wang", "a3-zhao", "a4-qian"}
    assert _queues(live)["财务专席"] == (1, NOW - 5 * MIN, 0, 1)
    assert (live.today.created, live.today.ratings, live.today.satisfaction_percent) == (6, 3, 67)


def test_the_board_page_shows_the_figures_in_chinese(floor):
    body = _client(floor["supervisor"]).get("/tickets/board/").content.decode()
    assert "今日新建" in body and "满意度" in body
    agents = body.split('data-testid="board-agents"')[1].split("</table>")[0]
    assert 'data-agent="a2-wang" data-status="away"' in agents and '>1</a> / 2' in agents
    assert "a4-qian" not in agents
    assert 'data-queue="财务专席"' not in body.split('data-testid="board-queues"')[1].split("</table>")[0]


def test_agents_and_viewers_may_not_open_the_board(floor, make_user):
    for user in (floor["a1"], make_user(floor["org"], Role.VIEWER)):
        client = _client(user)
        for url in ("/tickets/board/", "/tickets/board/live/",
                    f"/tickets/board/cell/?queue={floor['q1'].pk}&status=new"):
            assert client.get(url).status_code == 403, url
    assert _client(floor["supervisor"]).get("/tickets/board/live/").status_code == 200


def test_a_custom_role_opens_the_board_when_it_reads_tickets_and_manages_agents(floor, make_user):
    ops = make_user(floor["org"], Role.OPS_ADMIN)
    user = UserFactory(organization=floor["org"], username="shift-lead")
    role = role_save(organization=floor["org"], by=ops, name="值班长", permissions=["tickets.view_ticket"],
                     modules=["tickets"], data_scope=DataScope.ORGANIZATION)
    role_assign(role=role, user=user, by=ops)
    assert _client(user).get("/tickets/board/").status_code == 403
    role_save(organization=floor["org"], by=ops, role=role, name=role.name,
              permissions=["tickets.view_ticket", "scrm.view_agentprofile", "scrm.change_agentprofile"],
              modules=["tickets"], data_scope=DataScope.ORGANIZATION)
    body = _client(user).get("/tickets/board/").content.decode()
    assert 'data-agent="a4-qian"' in body  # the whole organization, as its scope says


def test_one_click_assign_from_the_at_risk_list(scoped):
    org = scoped
    policy, team, supervisor = _led_team(org)
    queue = QueueFactory(organization=org, name="售后一线", code="l1", team=team, auto_assign=False)
    busy = make_agent(org, queues=[queue], username="busy", team=team, max_open_tickets=1)
    free = make_agent(org, queues=[queue], username="free", team=team)
    away = make_agent(org, queues=[queue], username="away", team=team, status=AWAY)
    now = timezone.now()
    _ticket(org, queue, created=now - 90 * MIN, status=Status.OPEN, assignee=busy)
    risky = _ticket(org, queue, created=now - 60 * MIN, sla_policy=policy, sla_warn_at=now - 5 * MIN,
                    resolution_due_at=now + 30 * MIN)
    _ticket(org, queue, created=now - 10 * MIN, sla_policy=policy, sla_warn_at=now + 60 * MIN,
            resolution_due_at=now + 120 * MIN)  # on track: not listed
    agent_load_recount(organization=org)

    client = _client(supervisor)
    live = client.get("/tickets/board/live/").content.decode()
    listed = live.split('data-testid="board-at-risk"')[1].split("</ul>")[0]
    assert listed.count("data-ticket=") == 1 and risky.number in listed
    # The free online member of the queue is offered first; the away agent not at all.
    assert f'<option value="{free.pk}" selected>' in listed and f'value="{away.pk}"' not in listed

    response = client.post(f"/tickets/{risky.pk}/assign/", {"assignee": free.pk, "row": "risk"},
                           HTTP_HX_REQUEST="true")
    row = response.content.decode()
    assert f'id="board-risk-{risky.pk}"' in row and str(free) in row.split('data-testid="board-assignee"')[1]
    risky.refresh_from_db()
    assert risky.assignee == free


def test_the_one_click_assign_never_offers_the_agent_who_already_holds_the_at_risk_ticket(scoped):
    """An at-risk ticket held by the least-loaded member of its queue was offered to that same agent: 指派 then
    changed nothing and said "assigned". The offer is another agent with room; with nobody else free, nobody is
    preselected and the supervisor must choose."""
    org = scoped
    policy, team, supervisor = _led_team(org)
    queue = QueueFactory(organization=org, name="售后一线", code="l1", team=team, auto_assign=False)
    holder = make_agent(org, queues=[queue], username="holder", team=team)
    other = make_agent(org, queues=[queue], username="other", team=team, max_open_tickets=5)
    now = timezone.now()
    risky = _ticket(org, queue, created=now - 60 * MIN, status=Status.OPEN, assignee=holder, sla_policy=policy,
                    sla_warn_at=now - 5 * MIN, resolution_due_at=now + 30 * MIN)
    for _n in range(2):
        _ticket(org, queue, created=now - 30 * MIN, status=Status.PENDING, assignee=other)
    agent_load_recount(organization=org)  # holder 1 of 20, other 2 of 5: holder is the least loaded

    def offer():
        body = _client(supervisor).get("/tickets/board/live/").content.decode()
        return body.split(f'id="risk-assign-{risky.pk}"')[1].split("</select>")[0]

    select = offer()
    assert f'<option value="{other.pk}" selected>' in select and f'value="{holder.pk}" selected' not in select

    AgentLoad.objects.filter(user=other).update(open_tickets=5)  # the only other member is full
    select = offer()
    assert select.split("<option")[1].startswith(' value="" selected>')
    assert " selected>" not in "".join(select.split("<option")[2:])


def test_the_board_reads_the_load_the_router_reads(floor):
    """The board counted an agent's open tickets while the router and take next read their load counter
    (AgentLoad): when the two differed, the board said "has room" and offered for one-click assign an agent the
    router already treated as full. It reads the counter now."""
    a1, org = floor["a1"], floor["org"]
    fresh = make_agent(org, queues=[floor["q1"]], username="a0-sun", team=floor["q1"].team, status=ONLINE,
                       max_open_tickets=5)
    for _n in range(3):
        _ticket(org, floor["q3"], created=NOW - 300 * MIN, status=Status.PENDING, assignee=fresh)
    AgentLoad.objects.filter(user=a1).update(open_tickets=5)  # at their cap of 5 for the router, 2 tickets held
    AgentLoad.objects.create(organization=org, user=fresh, open_tickets=4)  # 4 of 5 for the router, 3 held

    live = board_live(user=floor["supervisor"], now=NOW)
    loads = {a.user.username: (a.load, a.has_room) for a in live.agents}
    assert loads["a1-li"] == (5, False) and loads["a0-sun"] == (4, True)

    body = _client(floor["supervisor"]).get("/tickets/board/live/").content.decode()
    agents = body.split('data-testid="board-agents"')[1].split("</table>")[0]
    assert ">5</a> / 5" in agents and "board-load-full" in agents.split('data-agent="a1-li"')[1].split("</tr>")[0]
    risk = body.split('data-testid="board-at-risk"')[1].split("</ul>")[0].split(f'id="board-risk-{floor["t1"].pk}"')[1]
    # a1 (2 tickets held against 3) is full for the router: the member with room is offered instead.
    assert f'<option value="{fresh.pk}" selected>' in risk
    assert f'<option value="{a1.pk}" selected>' not in risk


@pytest.mark.parametrize("size", [1, 8])
def test_the_board_costs_the_same_queries_whatever_its_size(scoped, make_user, django_assert_max_num_queries, size):
    org = scoped
    policy, team, supervisor = _led_team(org)
    customer = CustomerFactory(organization=org)
    now = timezone.now()
    for n in range(size):
        queue = QueueFactory(organization=org, name=f"队列{n}", code=f"q{n}", team=team, auto_assign=False)
        agent = make_agent(org, queues=[queue], username=f"agent{n}", team=team)
        for m in range(3):
            ticket = TicketFactory(organization=org, queue=queue, customer=customer, assignee=agent if m else None,
                                   created_at=now - (m + 1) * 10 * MIN)
            Ticket.objects.filter(pk=ticket.pk).update(sla_policy=policy, sla_warn_at=now - MIN,
                                                      resolution_due_at=now + 60 * MIN)
    for user in (supervisor, make_user(org, Role.OPS_ADMIN)):
        client = _client(user)
        client.get("/tickets/board/")
        with django_assert_max_num_queries(22):
            assert client.get("/tickets/board/").status_code == 200
        with django_assert_max_num_queries(16):  # 14, and the regions a supervisor serves or manages (2)
            assert client.get("/tickets/board/live/").status_code == 200


def test_the_region_filter_narrows_the_live_figures_as_it_narrows_the_counts(floor):
    """A supervisor who picked 华东 saw the counts of 华东 but the queues' waiting, at-risk and breached figures and
    the at-risk list of every region (and the 15-second refresh dropped the filter): the two tables disagreed."""
    org, q1 = floor["org"], floor["q1"]
    east = RegionFactory(organization=org, name="华东", code="E")
    north = RegionFactory(organization=org, name="华北", code="N")
    Ticket.objects.filter(queue=q1).update(region=north)
    east_ticket = _ticket(org, q1, created=timezone.now() - 10 * MIN, region=east)
    client = _client(floor["supervisor"])

    page = client.get(f"/tickets/board/?region={east.pk}").content.decode()
    queues = page.split('data-testid="board-queues"')[1].split("</table>")[0]
    row = queues.split('data-queue="售后一线"')[1].split("</tr>")[0]
    assert '<td data-figure="waiting">1</td>' in row  # the one new ticket of 华东, not the 2 of 华北
    assert '<td data-figure="breached">0</td>' in row
    assert floor["t1"].number not in page.split('data-testid="board-at-risk"')[1].split("</ul>")[0]
    counts = page.split('data-testid="board-table"')[1].split("</table>")[0]
    assert counts.split('data-queue="售后一线"')[1].split("</tr>")[0].count(">1</a>") == 1
    # The refresh keeps the filter.
    assert f'hx-get="/tickets/board/live/?region={east.pk}"' in page

    live = client.get(f"/tickets/board/live/?region={east.pk}").content.decode()
    row = live.split('data-queue="售后一线"')[1].split("</tr>")[0]
    assert '<td data-figure="waiting">1</td>' in row
    assert east_ticket.number not in live  # on track: not at risk
    everything = client.get("/tickets/board/live/").content.decode()
    assert '<td data-figure="waiting">3</td>' in everything.split('data-queue="售后一线"')[1].split("</tr>")[0]


def test_a_supervisor_of_one_region_sees_only_that_regions_tickets_on_the_live_board(floor):
    """A supervisor serving 华东 saw 华北's at-risk tickets of their queue on the board, each number a link to a
    "not found" page, and 华北's tickets in the queue's figures, while the counts below left them out."""
    org, q1, t1 = floor["org"], floor["q1"], floor["t1"]
    east = RegionFactory(organization=org, name="华东", code="E")
    north = RegionFactory(organization=org, name="华北", code="N")
    AgentProfileFactory(user=floor["supervisor"], max_open_tickets=5).regions.set([east])
    Ticket.objects.filter(queue=q1).update(region=east)
    Ticket.objects.filter(pk=t1.pk).update(region=north)
    client = _client(floor["supervisor"])
    assert client.get(f"/tickets/{t1.pk}/").status_code == 404

    live = client.get("/tickets/board/live/").content.decode()
    assert t1.number not in live
    row = live.split('data-queue="售后一线"')[1].split("</tr>")[0]
    assert '<td data-figure="waiting">1</td>' in row and '<td data-figure="at-risk">0</td>' in row
    page = client.get("/tickets/board/").content.decode()
    counts = page.split('data-testid="board-table"')[1].split("</table>")[0]
    new = counts.split('data-queue="售后一线"')[1].split("</tr>")[0].split("<td")[1]
    assert ">0</span>" in new  # the counts leave 华北's new ticket out too


def _region_options(page):
    select = page.split('id="board-region"')[1].split("</select>")[0]
    return [option.split(">")[1].split("<")[0] for option in select.split("<option")[1:]]


def test_the_region_filter_offers_only_the_regions_the_supervisor_reaches(floor, make_user):
    """A supervisor serving 江苏 was offered every region of the company in the board's filter; picking 华北 showed an
    empty board. They are offered 江苏 and the cities below it; ops still every region."""
    org = floor["org"]
    east = RegionFactory(organization=org, name="华东", code="E")
    jiangsu = RegionFactory(organization=org, name="江苏", code="JS", parent=east, path="/E/JS/")
    nanjing = RegionFactory(organization=org, name="南京", code="NJ", parent=jiangsu, path="/E/JS/NJ/")
    north = RegionFactory(organization=org, name="华北", code="N")
    AgentProfileFactory(user=floor["supervisor"], max_open_tickets=5).regions.set([jiangsu])

    page = _client(floor["supervisor"]).get("/tickets/board/").content.decode()
    assert _region_options(page) == ["全部区域", jiangsu.name, nanjing.name]
    # A region out of reach typed into the address is no filter at all (it showed an empty board).
    Ticket.objects.filter(queue=floor["q1"]).update(region=nanjing)
    page = _client(floor["supervisor"]).get(f"/tickets/board/?region={north.pk}").content.decode()
    assert " selected>" not in page.split('id="board-region"')[1].split("</select>")[0]
    counts = page.split('data-testid="board-table"')[1].split("</table>")[0]
    assert counts.count('data-queue="售后一线"') == 1 and ">0</span>" not in counts.split(
        'data-queue="售后一线"')[1].split("</tr>")[0].split("<td")[1]

    ops = _client(make_user(org, Role.OPS_ADMIN)).get("/tickets/board/").content.decode()
    assert _region_options(ops)[1:] == [east.name, jiangsu.name, nanjing.name, north.name]
