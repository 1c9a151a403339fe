"""The agent workspace in a real browser: an agent takes the next ticket, answers with a canned response while a
new customer message arrives, and resolves it; a supervisor reassigns a ticket from the board."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scrm.models import AgentProfile, Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD, TeamFactory, UserFactory
from tests.sla.factories import office_calendar, sla_policy
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, TicketTypeFactory, make_agent
from tickets.models import CannedResponse, Comment, QueueMembership, Ticket
from tickets.services import ticket_add_message

pytestmark = pytest.mark.e2e


@pytest.fixture
def workspace(organization):
    with platform_scope():
        supervisor = UserFactory(organization=organization, username="boss", roles=[Role.SUPERVISOR])
        team = TeamFactory(organization=organization, name="售后组", leader=supervisor)
        queue = QueueFactory(organization=organization, name="售后一线", code="l1", team=team, auto_assign=False)
        agent = make_agent(organization, queues=[queue], username="xiaoli", team=team)
        agent2 = make_agent(organization, queues=[queue], username="xiaowang", team=team)
        customer = CustomerFactory(organization=organization, display_name="王小明")
        CannedResponse.objects.create(organization=organization, title="已收到",
                                      body="您好 {customer_name}，工单 {ticket_number} 已收到。")
    with tenant_scope(organization):
        ticket_add_message(organization=organization, customer=customer, channel="wechat_oa",
                           source_ref="conv-1", body="空调不制冷，开了一个小时还是吹热风")
    with platform_scope():
        ticket = Ticket.objects.get()
        Ticket.objects.filter(pk=ticket.pk).update(queue=queue, team=team)
    return {"org": organization, "agent": agent, "agent2": agent2, "supervisor": supervisor, "queue": queue,
            "customer": customer, "ticket": ticket}


def test_an_agent_takes_the_next_ticket_replies_and_resolves_it(page, live_server, workspace):
    ticket = workspace["ticket"]
    login(page, live_server, "xiaoli", TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/tickets/")
    page.click("[data-testid=take-next]")
    expect(page).to_have_url(f"{live_server.url}/tickets/{ticket.pk}/")
    expect(page.locator("[data-testid=ticket-assignee]")).to_contain_text(str(workspace["agent"]))
    expect(page.locator("[data-testid=conversation] [data-kind=customer]")).to_contain_text("空调不制冷")

    # The agent starts typing; a canned response goes in at the cursor, after what they typed.
    page.fill("[data-testid=reply-body]", "师傅明天上门。")
    page.locator("[data-testid=reply-body]").press("End")
    page.select_option("[data-testid=canned-select]", label="已收到")
    expect(page.locator("[data-testid=reply-body]")).to_have_value(
        f"师傅明天上门。您好 王小明，工单 {ticket.number} 已收到。")

    # Meanwhile the customer writes again: the conversation shows it without a reload, and the draft stays.
    with tenant_scope(workspace["org"]):
        ticket_add_message(organization=workspace["org"], customer=workspace["customer"], channel="wechat_oa",
                           source_ref="conv-1", body="请问师傅几点到？")
    expect(page.locator("[data-testid=conversation] [data-kind=customer]").last).to_contain_text(
        "请问师傅几点到？", timeout=15_000)
    expect(page.locator("[data-testid=reply-body]")).to_have_value(
        f"师傅明天上门。您好 王小明，工单 {ticket.number} 已收到。")

    page.click("[data-testid=reply-submit]")
    expect(page.locator("[data-testid=conversation] [data-kind=reply]")).to_contain_text("师傅明天上门")

    page.select_option("#status-select", "resolved")
    page.click("[data-testid=status-submit]")
    expect(page.locator("[data-testid=ticket-status]")).to_have_text(str(Ticket.Status.RESOLVED.label))
    with platform_scope():
        ticket.refresh_from_db()
        assert ticket.status == Ticket.Status.RESOLVED
        assert ticket.first_response_at is not None
        replies = list(Comment.objects.filter(ticket=ticket, author=workspace["agent"], is_public=True)
                       .order_by("pk").values_list("body", flat=True))
    # The agent's reply, then the rating link that resolving sends the customer.
    assert len(replies) == 2 and replies[0].startswith("师傅明天上门") and "/rate/" in replies[1]


def test_a_supervisor_reassigns_a_ticket_from_the_board(page, live_server, workspace):
    ticket = workspace["ticket"]
    login(page, live_server, "boss", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/board/")
    row = page.locator("[data-testid=board-table] tr[data-queue=售后一线]")
    expect(row.locator("[data-status=new]")).to_have_text("1")
    row.locator("[data-status=new]").click()
    item = page.locator(f"[data-testid=board-tickets] li[data-ticket='{ticket.number}']")
    expect(item).to_be_visible()
    item.locator("[data-testid=board-reassign]").click()
    item.locator("select[name=assignee]").select_option(label=str(workspace["agent2"]))
    item.get_by_role("button").click()
    expect(page.locator(f"li[data-ticket='{ticket.number}'] [data-testid=board-assignee]")).to_have_text(
        str(workspace["agent2"]))
    with platform_scope():
        ticket.refresh_from_db()
        assert ticket.assignee == workspace["agent2"]
    # The next refresh of the counts moves it from "new" to "open".
    expect(row.locator("[data-status=open]")).to_have_text("1", timeout=20_000)


def test_an_agent_logs_a_phone_call_for_a_customer_found_by_name(page, live_server, workspace):
    login(page, live_server, "xiaoli", TEST_PASSWORD)
    page.click("[data-testid=ticket-create]")
    expect(page).to_have_url(f"{live_server.url}/tickets/new/")
    page.fill("[data-testid=customer-search]", "王小")
    match = page.locator("[data-testid=customer-match]")
    expect(match).to_contain_text("王小明", timeout=10_000)
    match.locator("input").check()
    page.fill("[data-testid=ticket-subject]", "来电：空调漏水")
    page.click("[data-testid=ticket-create-submit]")
    expect(page.locator("[data-testid=ticket-header]")).to_contain_text("来电：空调漏水")
    with platform_scope():
        logged = Ticket.objects.get(subject="来电：空调漏水")
    assert (logged.customer_id, logged.channel) == (workspace["customer"].pk, "phone")
    expect(page).to_have_url(f"{live_server.url}/tickets/{logged.pk}/")


def test_the_came_in_by_choices_sit_beside_their_labels(page, live_server, workspace):
    """新建工单's 来源 radios sat indented, each touching its label ("◉电话"): the options had no form-check-input."""
    login(page, live_server, "xiaoli", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/new/")
    boxes = page.locator(".form-check:has(input[name=channel])")
    expect(boxes).to_have_count(4)
    for n in range(4):
        box, radio = boxes.nth(n).bounding_box(), boxes.nth(n).locator("input").bounding_box()
        label = boxes.nth(n).locator("label").bounding_box()
        assert abs(radio["x"] - box["x"]) <= 1  # in the .form-check's own margin, not indented
        assert label["x"] - (radio["x"] + radio["width"]) >= 4  # a gap before its label


def test_an_agent_logging_a_call_takes_it_themselves_in_an_auto_assign_queue(page, live_server, workspace):
    with platform_scope():
        hotline = QueueFactory(organization=workspace["org"], name="热线", code="hot", auto_assign=True)
        QueueFactory(organization=workspace["org"], name="财务专席", code="fin", auto_assign=True)
        agent = AgentProfile.objects.get(user=workspace["agent"])
        QueueMembership.objects.create(organization=workspace["org"], queue=hotline, agent=agent)
        QueueMembership.objects.create(organization=workspace["org"], queue=hotline,
                                       agent=AgentProfile.objects.get(user=workspace["agent2"]))
        # Away: the queue's strategy would give the ticket to the colleague, never to its creator.
        AgentProfile.objects.filter(pk=agent.pk).update(status=AgentProfile.Status.AWAY)
    login(page, live_server, "xiaoli", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/new/?customer={workspace['customer'].pk}")
    mine = page.locator("[data-testid=assign-to-me]")
    expect(mine).to_contain_text("由我处理")
    page.select_option("#id_queue", label="财务专席")
    expect(mine).to_be_hidden()  # not one of the agent's queues
    page.select_option("#id_queue", label="热线")
    expect(mine).to_be_visible()
    mine.get_by_label("由我处理").check()
    page.fill("[data-testid=ticket-subject]", "来电：预约上门")
    page.click("[data-testid=ticket-create-submit]")

    expect(page.locator("[data-testid=ticket-header]")).to_contain_text("来电：预约上门")
    expect(page.locator("[data-testid=ticket-assignee]")).to_have_text(workspace["agent"].display_name)
    # The timeline says who assigned it: the agent, to themselves.
    assigned = page.locator("[data-testid=event][data-kind=assigned]")
    expect(assigned).to_have_count(1)
    expect(assigned).to_contain_text(f"无人 → {workspace['agent'].display_name} · {workspace['agent'].display_name}")
    with platform_scope():
        assert Ticket.objects.get(subject="来电：预约上门").queue == hotline


def test_the_board_shows_an_agent_going_offline_without_a_reload(page, live_server, workspace, settings):
    settings.TICKETS_BOARD_POLL_SECONDS = 1
    login(page, live_server, "boss", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/board/")
    agent = page.locator("[data-testid=board-agents] tr[data-agent=xiaoli]")
    expect(agent.locator("[data-testid=agent-status]")).to_have_text("在线")
    expect(page.locator("[data-testid=board-queues] tr[data-queue=售后一线] [data-figure=waiting]")).to_have_text("1")
    page.evaluate("window.boardNotReloaded = true")

    with platform_scope():
        AgentProfile.objects.filter(user=workspace["agent"]).update(status=AgentProfile.Status.OFFLINE)
    expect(agent.locator("[data-testid=agent-status]")).to_have_text("离线", timeout=15_000)
    expect(agent).to_have_attribute("data-status", "offline")
    assert page.evaluate("window.boardNotReloaded") is True  # swapped in by htmx, not a new page


def test_the_queue_reads_one_line_a_ticket_on_a_laptop_screen(page, live_server, workspace):
    """At 1366×768 the queue, assignee and type names stayed on one line each, not one character a line, and the
    table fits the page without a sideways scroll."""
    with platform_scope():
        kind = TicketTypeFactory(organization=workspace["org"], name="退换货")
        for n in range(3):
            TicketFactory(organization=workspace["org"], customer=workspace["customer"], queue=workspace["queue"],
                          assignee=workspace["agent"], type=kind, status=Ticket.Status.OPEN,
                          subject=f"电饭煲收到外壳有划痕，要求退货，顺便问一下发票什么时候能开出来{n}")
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, "xiaoli", TEST_PASSWORD)
    row = page.locator("[data-testid=ticket-table] tbody tr").first
    expect(row).to_contain_text("退换货")
    # The lines of the cell's text (its text nodes only: a box wrapping the text has a top of its own).
    lines = row.evaluate("""tr => Array.from(tr.cells).slice(-4, -1).map(td => {
        const range = document.createRange(), tops = new Set();
        const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (!node.textContent.trim()) continue;
            range.selectNodeContents(node);
            for (const r of range.getClientRects()) tops.add(Math.round(r.top));
        }
        return tops.size; })""")
    assert lines == [1, 1, 1]  # queue, assignee, type
    scroll = page.locator("[data-testid=ticket-table]").evaluate(
        "table => table.parentElement.scrollWidth - table.parentElement.clientWidth")
    assert scroll <= 0


def test_the_boards_refresh_keeps_the_agent_picked_in_an_at_risk_row(page, live_server, workspace, settings):
    """Every refresh of the live part put the at-risk row's choice back on the suggested agent: a supervisor who
    picked 小王 and reached for 指派 assigned 小李."""
    settings.TICKETS_BOARD_POLL_SECONDS = 1
    ticket, agent2 = workspace["ticket"], workspace["agent2"]
    with platform_scope():
        policy = sla_policy(workspace["org"], office_calendar(workspace["org"]))
        now = timezone.now()
        Ticket.objects.filter(pk=ticket.pk).update(sla_policy=policy, sla_warn_at=now - timedelta(minutes=5),
                                                   resolution_due_at=now + timedelta(minutes=30))
        make_agent(workspace["org"], queues=[workspace["queue"]], username="xiaozhao")
    login(page, live_server, "boss", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/board/")
    select = page.locator(f"#risk-assign-{ticket.pk}")
    expect(select).to_have_value(str(workspace["agent"].pk))  # the suggestion: the first free member
    select.select_option(str(agent2.pk))
    page.evaluate("window.boardNotReloaded = true")
    with platform_scope():  # something for the refreshes to show meanwhile
        AgentProfile.objects.filter(user__username="xiaozhao").update(status=AgentProfile.Status.AWAY)
    expect(page.locator("[data-testid=board-agents] tr[data-agent=xiaozhao]")).to_have_attribute(
        "data-status", "away", timeout=15_000)
    page.wait_for_timeout(2_500)  # a couple more refreshes
    assert page.evaluate("window.boardNotReloaded") is True
    expect(select).to_have_value(str(agent2.pk))
    page.locator(f"#board-risk-{ticket.pk} [data-testid=risk-assign]").click()
    expect(page.locator(f"#board-risk-{ticket.pk} [data-testid=board-assignee]")).to_have_text(str(agent2))
    with platform_scope():
        ticket.refresh_from_db()
        assert ticket.assignee == agent2


def test_merging_and_closing_in_bulk_ask_first_and_cancelling_changes_nothing(page, live_server, workspace):
    """A supervisor who typed the wrong number merged (and closed) the ticket on the spot; ticking tickets and
    choosing 关闭 closed them all, with no second chance either."""
    ticket = workspace["ticket"]
    with platform_scope():
        other = TicketFactory(organization=workspace["org"], customer=workspace["customer"], queue=workspace["queue"],
                              team=workspace["queue"].team, subject="安装预约改期")
    login(page, live_server, "boss", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    asked = []

    def answer(accept):
        def handle(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        return handle

    page.once("dialog", answer(False))
    page.fill("#merge-primary", other.number)
    page.locator("[data-testid=merge-form] button").click()
    page.wait_for_timeout(500)
    assert len(asked) == 1 and ticket.number in asked[0]
    with platform_scope():
        ticket.refresh_from_db()
        assert ticket.merged_into_id is None and ticket.status != Ticket.Status.CLOSED

    page.goto(f"{live_server.url}/tickets/queues/")
    page.locator(f"input[name=ids][value='{other.pk}']").check()
    page.select_option("#bulk-action", "tag")
    page.once("dialog", answer(False))
    page.select_option("#bulk-action", "close")
    page.click("[data-testid=bulk-apply]")
    page.wait_for_timeout(500)
    assert len(asked) == 2  # asked for closing, not for choosing 加标签 on the way
    with platform_scope():
        other.refresh_from_db()
        assert other.status != Ticket.Status.CLOSED

    page.once("dialog", answer(True))
    page.click("[data-testid=bulk-apply]")
    expect(page.locator(".alert-success")).to_be_visible()
    with platform_scope():
        other.refresh_from_db()
        assert other.status == Ticket.Status.CLOSED


def test_the_merge_question_names_the_ticket_merged_into(page, live_server, workspace):
    """The merge question did not say which ticket the typed number was: one wrong digit merged the customer's
    ticket into another of theirs. It now names the target's number and subject; an unknown number is said at once."""
    ticket = workspace["ticket"]
    with platform_scope():
        other = TicketFactory(organization=workspace["org"], customer=workspace["customer"], queue=workspace["queue"],
                              team=workspace["queue"].team, subject="安装预约改期")
    login(page, live_server, "boss", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    asked = []

    def answer(accept):
        def handle(dialog):
            asked.append((dialog.type, dialog.message))
            dialog.accept() if accept else dialog.dismiss()
        return handle

    page.once("dialog", answer(False))
    page.fill("#merge-primary", "T20000101-999999")
    page.locator("[data-testid=merge-form] button").click()
    page.wait_for_timeout(800)
    assert len(asked) == 1 and asked[0][0] == "alert" and "T20000101-999999" in asked[0][1]

    page.once("dialog", answer(False))
    page.fill("#merge-primary", other.number.lower())
    page.locator("[data-testid=merge-form] button").click()
    page.wait_for_timeout(800)
    assert len(asked) == 2 and asked[1][0] == "confirm"
    assert ticket.number in asked[1][1] and other.number in asked[1][1] and "安装预约改期" in asked[1][1]
    with platform_scope():
        ticket.refresh_from_db()
        assert ticket.merged_into_id is None

    page.once("dialog", answer(True))
    page.locator("[data-testid=merge-form] button").click()
    expect(page).to_have_url(f"{live_server.url}/tickets/{other.pk}/")
    with platform_scope():
        ticket.refresh_from_db()
        assert ticket.merged_into_id == other.pk and ticket.status == Ticket.Status.CLOSED
