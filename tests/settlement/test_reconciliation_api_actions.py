"""Working discrepancies and starting runs through the API: the workbench's services and permission rule, the
second-approver rule, clear 400s for bad input, nothing across organizations."""


import pytest

from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import Discrepancy, DiscrepancyAction, ReconciliationRun
from settlement.reconciliation import errors
from settlement.reconciliation.services import reconciliation_run
from tests.scrm.factories import OrganizationFactory
from tests.settlement.recon import DAY, make_channel, make_order, make_statement, make_store, pay
from tests.tenancy import api_client
from tests.tickets.factories import QueueFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(organization):
    return make_channel(organization)


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


@pytest.fixture
def finance2(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-2")


@pytest.fixture
def day_run(channel):
    store = make_store(channel.organization, channel)
    make_order(store, "A1", "1000.00")  # 200.00 short: above the write-off limit of 100
    make_order(store, "A2", "10.00")  # 0.50 short
    make_statement(channel, lines=[pay("A1", "800.00"), pay("A2", "9.50"), pay("GHOST", "3.00")])
    return reconciliation_run(channel=channel, period_start=DAY)


def by_key(organization, key):
    with tenant_scope(organization):
        return Discrepancy.objects.get(key=key)


def url(d, action):
    return f"/api/v1/discrepancies/{d.pk}/{action}/"


def test_finance_annotates_and_resolves_through_the_api(organization, finance, day_run):
    api = api_client(finance)
    d = by_key(organization, "order:A2")
    answer = api.post(url(d, "annotate"), {"note": "门店少收五毛"}, format="json")
    assert answer.status_code == 200 and answer.json()["note"] == "门店少收五毛"
    answer = api.post(url(d, "resolve"), {"code": "rounding", "note": "抹零"}, format="json")
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["resolution_code"]) == ("resolved", "rounding")
    with tenant_scope(organization):
        assert list(DiscrepancyAction.objects.filter(discrepancy=d).order_by("pk")
                    .values_list("action", "by_id", "code", "note")) == [
            ("annotate", finance.pk, "", "门店少收五毛"), ("resolve", finance.pk, "rounding", "抹零")]


def test_bad_input_gets_a_clear_400_and_changes_nothing(organization, finance, day_run):
    api = api_client(finance)
    d = by_key(organization, "order:A2")
    unknown = api.post(url(d, "resolve"), {"code": "because"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json() == {"code": [str(errors.MSG_BAD_CODE % {"code": "because"})]}
    missing = api.post(url(d, "resolve"), {}, format="json")
    assert missing.status_code == 400 and list(missing.json()) == ["code"]
    assert api.post(url(d, "annotate"), {"note": ""}, format="json").status_code == 400
    assert by_key(organization, "order:A2").status == "open"
    with tenant_scope(organization):
        assert not DiscrepancyAction.objects.exists()
    # A decided discrepancy cannot be decided again: the service's message.
    api.post(url(d, "resolve"), {"code": "rounding"}, format="json")
    again = api.post(url(d, "write-off"), {}, format="json")
    assert again.status_code == 400
    assert again.json()["detail"] == str(errors.MSG_ALREADY_DECIDED % {"status": Discrepancy.Status.RESOLVED.label})


def test_a_write_off_above_the_limit_needs_a_second_person_through_the_api(organization, finance, finance2, day_run):
    big = by_key(organization, "order:A1")
    asked = api_client(finance).post(url(big, "write-off"), {"note": "客户少付"}, format="json")
    assert asked.status_code == 200 and asked.json()["status"] == "write_off_requested"
    own = api_client(finance).post(url(big, "approve-write-off"), {}, format="json")
    assert own.status_code == 400 and own.json()["detail"] == str(errors.MSG_OWN_WRITE_OFF)
    assert by_key(organization, "order:A1").status == "write_off_requested"
    approved = api_client(finance2).post(url(big, "approve-write-off"), {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "written_off"
    assert approved.json()["resolved_by"] == finance2.pk
    # Below the limit one person writes off at once.
    small = api_client(finance).post(url(by_key(organization, "order:A2"), "write-off"), {}, format="json")
    assert small.json()["status"] == "written_off"


def test_a_rejected_write_off_is_open_again(organization, finance, finance2, day_run):
    big = by_key(organization, "order:A1")
    api_client(finance).post(url(big, "write-off"), {}, format="json")
    answer = api_client(finance2).post(url(big, "reject-write-off"), {"note": "先查"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "open"


def test_a_payment_the_ledger_does_not_know_opens_an_internal_ticket_in_the_chosen_queue(organization, finance,
                                                                                         day_run):
    ghost = by_key(organization, "order:GHOST")
    assert ghost.kind == "missing_in_ledger"
    api = api_client(finance)
    refused = api.post(url(ghost, "open-ticket"), {}, format="json")
    assert refused.status_code == 400 and refused.json()["detail"] == str(errors.MSG_NO_CUSTOMER)
    with platform_scope():
        queue = QueueFactory(organization=organization, name="收银组", code="cashiers")
    answer = api.post(url(ghost, "open-ticket"), {"queue": queue.pk, "note": "这笔钱是谁的？"}, format="json")
    assert answer.status_code == 200
    body = answer.json()
    with tenant_scope(organization):
        ticket = Ticket.objects.get(pk=body["ticket"])
    assert body["ticket_number"] == ticket.number
    assert (ticket.customer_id, ticket.queue_id, ticket.source_ref) == (None, queue.pk, f"discrepancy:{ghost.pk}")
    assert "GHOST" in ticket.subject and "这笔钱是谁的？" in ticket.description
    again = api.post(url(ghost, "open-ticket"), {"queue": queue.pk}, format="json")
    assert again.status_code == 400 and again.json()["detail"] == str(errors.MSG_TICKET_EXISTS)


def test_a_role_without_the_permission_is_refused_and_nothing_changes(organization, make_user, ops_admin, day_run):
    d = by_key(organization, "order:A2")
    for user in (ops_admin, make_user(organization, Role.AGENT, username="agent-x")):
        api = api_client(user)
        for action, data in (("annotate", {"note": "x"}), ("resolve", {"code": "rounding"}), ("write-off", {}),
                             ("approve-write-off", {}), ("open-ticket", {})):
            assert api.post(url(d, action), data, format="json").status_code == 403, (user, action)
        assert api.post("/api/v1/reconciliation-runs/", {"channel": "wechatpay", "date": str(DAY)},
                        format="json").status_code == 403
    assert by_key(organization, "order:A2").status == "open"
    with tenant_scope(organization):
        assert not DiscrepancyAction.objects.exists() and ReconciliationRun.objects.count() == 1


def test_another_organization_cannot_touch_ours(organization, make_user, day_run):
    with platform_scope():
        other = OrganizationFactory(slug="other")
        queue = QueueFactory(organization=other, code="theirs")
    outsider = api_client(make_user(other, Role.FINANCE, username="finance-other"))
    d = by_key(organization, "order:A2")
    assert outsider.post(url(d, "resolve"), {"code": "rounding"}, format="json").status_code == 404
    assert outsider.post(url(d, "annotate"), {"note": "x"}, format="json").status_code == 404
    # Our channel's code is unknown to them; their queue is unknown to us.
    answer = outsider.post("/api/v1/reconciliation-runs/", {"channel": "wechatpay", "date": str(DAY)}, format="json")
    assert answer.status_code == 400 and "channel" in answer.json()
    finance = make_user(organization, Role.FINANCE, username="fin-acme")
    ghost = by_key(organization, "order:GHOST")
    answer = api_client(finance).post(url(ghost, "open-ticket"), {"queue": queue.pk}, format="json")
    assert answer.status_code == 400 and "queue" in answer.json()
    assert by_key(organization, "order:A2").status == "open" and by_key(organization, "order:GHOST").ticket_id is None


def test_finance_starts_a_run_through_the_outbox(organization, finance, channel, eager_tasks,
                                                 django_capture_on_commit_callbacks):
    from scrm.platform import outbox

    store = make_store(organization, channel)
    make_order(store, "R1", "10.00")
    make_statement(channel, lines=[pay("R1", "10.00")])
    api = api_client(finance)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post("/api/v1/reconciliation-runs/", {"channel": "wechatpay", "date": str(DAY)}, format="json")
    assert answer.status_code == 202
    assert (answer.json()["status"], answer.json()["period_start"], answer.json()["period_end"]) == (
        "queued", str(DAY), str(DAY))
    outbox.flush()
    run = api.get(f"/api/v1/reconciliation-runs/{answer.json()['id']}/").json()
    assert run["status"] == "done" and run["summary"]["matched"] == {"count": 1, "amount": "10.00"}


def test_a_run_request_with_bad_input_gets_a_clear_400(organization, finance, channel):
    api = api_client(finance)
    missing = api.post("/api/v1/reconciliation-runs/", {"date": str(DAY)}, format="json")
    assert missing.status_code == 400 and list(missing.json()) == ["channel"]
    unknown = api.post("/api/v1/reconciliation-runs/", {"channel": "nope", "date": str(DAY)}, format="json")
    assert unknown.status_code == 400 and "nope" in unknown.json()["channel"][0]
    bad_date = api.post("/api/v1/reconciliation-runs/", {"channel": "wechatpay", "date": "11/11"}, format="json")
    assert bad_date.status_code == 400 and list(bad_date.json()) == ["date"]
    backwards = api.post("/api/v1/reconciliation-runs/",
                         {"channel": "wechatpay", "date": str(DAY), "period_end": "2026-11-01"}, format="json")
    assert backwards.status_code == 400 and backwards.json() == {"period_end": [str(errors.MSG_BAD_PERIOD)]}
    # A day no statement of the channel was imported for: refused as the run form refuses it, naming the day.
    nothing = api.post("/api/v1/reconciliation-runs/", {"channel": "wechatpay", "date": str(DAY)}, format="json")
    assert nothing.status_code == 400 and list(nothing.json()) == ["date"]
    assert str(DAY) in nothing.json()["date"][0] and "上传" in nothing.json()["date"][0]
    with tenant_scope(organization):
        assert not ReconciliationRun.objects.exists()


def test_a_note_too_long_is_refused_alike_by_the_workbench_and_the_api(organization, finance, day_run):
    from django.contrib.messages import get_messages
    from django.test import Client

    from settlement.reconciliation.services import NOTE_MAX_LENGTH

    d = by_key(organization, "order:A2")
    too_long = "注" * (NOTE_MAX_LENGTH + 1)
    page = Client()
    page.force_login(finance)

    shown = page.post(f"/settlement/discrepancies/{d.pk}/write-off/", {"note": too_long})
    answered = api_client(finance).post(url(d, "write-off"), {"note": too_long}, format="json")

    said = [str(m) for m in get_messages(shown.wsgi_request)]
    assert answered.status_code == 400
    assert answered.json() == {"note": said}
    assert str(NOTE_MAX_LENGTH) in said[0]
    assert by_key(organization, "order:A2").status == "open"
    with tenant_scope(organization):
        assert not DiscrepancyAction.objects.exists()


@pytest.mark.parametrize("sent", [{"note": ""}, {"note": "   "}, {}])
def test_a_blank_note_is_refused_in_the_same_words_by_the_workbench_and_the_api(organization, finance, day_run, sent):
    from django.contrib.messages import get_messages
    from django.test import Client

    d = by_key(organization, "order:A2")
    page = Client()
    page.force_login(finance)

    shown = page.post(f"/settlement/discrepancies/{d.pk}/annotate/", {"note": "   "})
    answered = api_client(finance).post(url(d, "annotate"), sent, format="json")

    said = [str(m) for m in get_messages(shown.wsgi_request)]
    assert said == [str(errors.MSG_NOTE_REQUIRED)]
    assert answered.status_code == 400
    assert answered.json() == {"detail": said[0]}
    assert by_key(organization, "order:A2").note == ""
    with tenant_scope(organization):
        assert not DiscrepancyAction.objects.exists()
