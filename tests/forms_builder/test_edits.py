"""Changing a submission after it was sent: by staff, and by the customer through the signed link while the form
allows it; each change kept (who, when, old → new per field) and, for a ticket's submission, on the ticket."""

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from forms_builder.errors import MSG_EDIT_CLOSED, MSG_NOTHING_CHANGED, FormError
from forms_builder.models import FormSubmission, FormSubmissionChange
from forms_builder.services import form_settings_save, form_submit, form_version_publish, submission_edit
from forms_builder.tokens import edit_token
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.platform.timeline import customer_timeline
from tests.forms_builder.factories import published_form, repair_schema
from tests.scrm.factories import OrganizationFactory
from tickets.models import TicketEvent
from tickets.views import event_summary

GOOD = {"name": "李四", "mobile": "13900001111", "problem": "fault", "fault_code": "E07"}


def _submitted(form, data=None):
    with tenant_scope(form.organization_id):
        return form_submit(form=form, data=data or GOOD)


def _edit_url(form, submission):
    return reverse("forms_public:edit", kwargs={"org": "acme", "slug": form.slug, "token": edit_token(submission)})


def test_staff_change_an_answer_and_the_history_and_the_ticket_say_so(client, ops_admin, organization, repair):
    submission = _submitted(repair)
    client.force_login(ops_admin)
    url = reverse("forms_builder:submission-edit", args=[repair.pk, submission.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'value="E07"' in page.content.decode()

    response = client.post(url, {**GOOD, "fault_code": "E12"})

    assert response.status_code == 302
    with tenant_scope(organization):
        submission.refresh_from_db()
        assert submission.data["fault_code"] == "E12"
        change = FormSubmissionChange.objects.get()
        assert change.by == ops_admin and not change.by_customer
        assert change.changes == [{"key": "fault_code", "label": "故障代码", "before": "E07", "after": "E12"}]
        event = TicketEvent.objects.get(ticket_id=submission.outcome["ticket_id"], kind=TicketEvent.Kind.UPDATED)
        assert event.actor == ops_admin
    detail = client.get(reverse("forms_builder:submission-detail", args=[repair.pk, submission.pk])).content.decode()
    assert 'data-testid="submission-change"' in detail and "E07" in detail and "E12" in detail
    # The line the ticket's timeline shows for it.
    assert "故障代码: E07 → E12" in event_summary(event)


def test_staff_edits_are_checked_by_the_submissions_own_version(client, ops_admin, organization, repair):
    submission = _submitted(repair)
    newer = repair_schema()
    newer["sections"][0]["fields"][3]["regex"] = "F\\d{3}"  # version 2 wants another code format
    with tenant_scope(organization):
        form_version_publish(form=repair, schema=newer)
    client.force_login(ops_admin)
    url = reverse("forms_builder:submission-edit", args=[repair.pk, submission.pk])

    refused = client.post(url, {**GOOD, "fault_code": "F123"})  # fine for v2, not for v1

    assert refused.status_code == 400 and 'data-testid="error-fault_code"' in refused.content.decode()
    assert client.post(url, {**GOOD, "fault_code": "E99"}).status_code == 302
    with tenant_scope(organization):
        submission.refresh_from_db()
        assert submission.data["fault_code"] == "E99" and submission.version.number == 1
        assert FormSubmissionChange.objects.count() == 1


def test_a_change_that_changes_nothing_writes_nothing(organization, repair):
    submission = _submitted(repair)
    with tenant_scope(organization), pytest.raises(FormError) as refused:
        submission_edit(submission=submission, data=GOOD)
    assert str(refused.value) == str(MSG_NOTHING_CHANGED)
    with tenant_scope(organization):
        assert not FormSubmissionChange.objects.exists()


def test_who_may_only_view_submissions_cannot_change_them(client, make_user, organization, repair):
    submission = _submitted(repair)
    client.force_login(make_user(organization, Role.SUPERVISOR, username="boss"))
    url = reverse("forms_builder:submission-edit", args=[repair.pk, submission.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {**GOOD, "fault_code": "E12"}).status_code == 403
    with tenant_scope(organization):
        assert FormSubmission.objects.get().data["fault_code"] == "E07"


def test_no_edit_link_while_the_form_does_not_allow_it(client, organization, repair):
    response = client.post(reverse("forms_public:form", kwargs={"org": "acme", "slug": "repair"}), GOOD)
    assert "?edit=" not in response["Location"]
    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
    closed = client.post(_edit_url(repair, submission), {**GOOD, "fault_code": "E12"})
    assert closed.status_code == 410 and str(MSG_EDIT_CLOSED) in closed.content.decode()
    with tenant_scope(organization):
        assert FormSubmission.objects.get().data["fault_code"] == "E07"


def test_the_customer_changes_their_answers_through_the_signed_link(client, organization, repair):
    with tenant_scope(organization):
        form_settings_save(form=repair, edit_days=3, captcha=False, webhook_url="")
    sent = client.post(reverse("forms_public:form", kwargs={"org": "acme", "slug": "repair"}), GOOD)
    thanks = client.get(sent["Location"]).content.decode()
    assert 'data-testid="form-edit-link"' in thanks
    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
    url = _edit_url(repair, submission)
    assert url in thanks
    page = client.get(url).content.decode()
    assert 'data-testid="form-editing"' in page and 'value="E07"' in page

    saved = client.post(url, {**GOOD, "problem": "install"})  # the fault code is hidden now: it goes

    assert saved.status_code == 302
    assert 'data-testid="form-edited"' in client.get(saved["Location"]).content.decode()
    with tenant_scope(organization):
        submission.refresh_from_db()
        assert submission.data["problem"] == "install" and "fault_code" not in submission.data
        change = FormSubmissionChange.objects.get()
        assert change.by_customer and change.by is None
        assert {(c["label"], c["before"], c["after"]) for c in change.changes} == {
            ("问题类型", "设备故障", "安装咨询"), ("故障代码", "E07", "")}
        event = TicketEvent.objects.get(ticket_id=submission.outcome["ticket_id"], kind=TicketEvent.Kind.UPDATED)
        assert event.after["form_answers"]["by_customer"] is True


def test_the_link_dies_when_its_days_are_over_or_it_was_tampered_with(client, organization, repair):
    with tenant_scope(organization):
        form_settings_save(form=repair, edit_days=2, captcha=False, webhook_url="")
    submission = _submitted(repair)
    url = _edit_url(repair, submission)
    tampered = url.replace(url.split("/")[-2], url.split("/")[-2][:-2] + "xx")
    assert client.post(tampered, {**GOOD, "fault_code": "E55"}).status_code == 410
    with time_machine.travel(timezone.now() + timezone.timedelta(days=2, minutes=1)):
        assert client.get(url).status_code == 410
        assert client.post(url, {**GOOD, "fault_code": "E55"}).status_code == 410
    with tenant_scope(organization):
        assert FormSubmission.objects.get().data["fault_code"] == "E07"
    assert client.get(url).status_code == 200  # within the days it still works


def test_a_bad_answer_through_the_link_changes_nothing(client, organization, repair):
    with tenant_scope(organization):
        form_settings_save(form=repair, edit_days=3, captcha=False, webhook_url="")
    submission = _submitted(repair)
    refused = client.post(_edit_url(repair, submission), {**GOOD, "fault_code": "nope"})
    assert refused.status_code == 400 and 'data-testid="error-fault_code"' in refused.content.decode()
    with tenant_scope(organization):
        assert FormSubmission.objects.get().data["fault_code"] == "E07"
        assert not FormSubmissionChange.objects.exists()


def test_a_link_of_another_organization_opens_nothing_here(client, organization, repair):
    with platform_scope():
        other = OrganizationFactory(slug="other", name="别家")
    with tenant_scope(other):
        theirs = published_form(other, schema=repair_schema())
        form_settings_save(form=theirs, edit_days=3, captcha=False, webhook_url="")
        their_submission = form_submit(form=theirs, data=GOOD)
    with tenant_scope(organization):
        form_settings_save(form=repair, edit_days=3, captcha=False, webhook_url="")
    # Their valid token, on our address: it names another organization's row and opens nothing.
    url = reverse("forms_public:edit", kwargs={"org": "acme", "slug": "repair",
                                               "token": edit_token(their_submission)})
    assert client.get(url).status_code == 410


def test_the_customers_timeline_shows_the_submission_and_its_change(organization, repair, ops_admin, make_user):
    submission = _submitted(repair)
    with tenant_scope(organization):
        submission_edit(submission=submission, data={**GOOD, "fault_code": "E12"}, actor=ops_admin)
        entries, _next = customer_timeline(customer=submission.customer, user=ops_admin)
        kinds = [entry.kind for entry in entries if entry.kind.startswith("form")]
        change = next(entry for entry in entries if entry.kind == "form-change")
        finance = make_user(organization, Role.FINANCE, username="cashier")
        hidden, _next = customer_timeline(customer=submission.customer, user=finance)
    assert kinds == ["form-change", "form"]  # newest first
    assert "故障代码: E07 → E12" in change.detail
    assert change.url == reverse("forms_builder:submission-detail", args=[repair.pk, submission.pk])
    assert not [entry for entry in hidden if entry.kind.startswith("form")]  # who may not see submissions


_nasty = st.one_of(st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
                   st.sampled_from(["", "0", "-1", "E07", "fault", "1e309", "NaN", "\x00", "<script>", "9" * 40]))


@hyp_settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.dictionaries(st.sampled_from(["name", "mobile", "problem", "fault_code", "detail", "amount", "x",
                                             "edit_days", "captcha", "webhook_url", "webhook_secret"]),
                            _nasty, max_size=7))
def test_random_edits_and_settings_are_saved_or_refused_never_a_server_error(client, organization, repair, ops_admin,
                                                                              settings, data):
    settings.FORMS_SUBMIT_LIMIT = 10_000
    with tenant_scope(organization):
        form_settings_save(form=repair, edit_days=3, captcha=False, webhook_url="")
        submission = FormSubmission.objects.first() or form_submit(form=repair, data=GOOD)
    assert client.post(_edit_url(repair, submission), data).status_code in (302, 400)
    client.force_login(ops_admin)
    assert client.post(reverse("forms_builder:submission-edit", args=[repair.pk, submission.pk]),
                       data).status_code in (302, 400)
    assert client.post(reverse("forms_builder:form-settings", args=[repair.pk]), data).status_code in (302, 400)


def test_the_settings_are_audited_without_the_secret(client, ops_admin, organization, repair, settings):
    from scrm.models import SettingsChange

    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = True  # hooks.example.com: no DNS needed here

    client.force_login(ops_admin)
    url = reverse("forms_builder:form-settings", args=[repair.pk])
    short = client.post(url, {"edit_days": 2, "webhook_url": "https://hooks.example.com/in?k=1",
                              "webhook_secret": "short"})
    assert short.status_code == 400 and 'data-testid="settings-error"' in short.content.decode()
    saved = client.post(url, {"edit_days": 2, "captcha": "on", "webhook_url": "https://hooks.example.com/in?k=1",
                              "webhook_secret": "a-long-enough-secret-123"})
    assert saved.status_code == 302
    page = client.get(reverse("forms_builder:form-detail", args=[repair.pk])).content.decode()
    assert 'data-testid="webhook-secret-set"' in page and "a-long-enough-secret-123" not in page
    with tenant_scope(organization):
        repair.refresh_from_db()
        assert repair.edit_days == 2 and repair.captcha and repair.webhook_secret
        [change] = SettingsChange.objects.filter(subject="forms_builder.form")
        assert change.by == ops_admin and change.detail == {
            "name": repair.name, "owner_team": None, "edit_days": 2, "captcha": True,
            "webhook": "https://hooks.example.com", "webhook_secret_changed": True}



def test_an_agent_sees_the_submission_in_the_customers_history_without_a_link_that_is_refused(
        client, organization, repair, agent, ops_admin):
    """Agents may read submissions but not open the forms module: the timeline linked them to a 403 page."""
    submission = _submitted(repair)
    target = reverse("forms_builder:submission-detail", args=[repair.pk, submission.pk])
    with tenant_scope(organization):
        theirs, _next = customer_timeline(customer=submission.customer, user=agent)
        ops, _next = customer_timeline(customer=submission.customer, user=ops_admin)
    [entry] = [entry for entry in theirs if entry.kind == "form"]
    assert "报修" in str(entry.title) and entry.url == ""
    client.force_login(agent)
    assert client.get(target).status_code == 403  # why it has no link
    assert [entry.url for entry in ops if entry.kind == "form"] == [target]


def test_ops_rename_a_form_and_change_its_owner_team_on_its_settings(client, ops_admin, organization, repair):
    """A form's name and owner team, chosen when it was created, could not be changed anywhere in the product (a
    typo in the name stayed on the list, the public page and every export); the settings card now holds both."""
    from scrm.models import SettingsChange, Team

    with platform_scope():
        other_team = Team.objects.create(organization=OrganizationFactory(), name="别家团队", code="X")
    with tenant_scope(organization):
        team = Team.objects.create(organization=organization, name="售后服务部", code="AS")
    client.force_login(ops_admin)
    url = reverse("forms_builder:form-settings", args=[repair.pk])
    page = client.get(reverse("forms_builder:form-detail", args=[repair.pk])).content.decode()
    assert f'name="name" value="{repair.name}"' in page and "别家团队" not in page
    refused = [{"name": "  ", "owner_team": team.pk, "edit_days": 0},
               {"name": "报修登记（新）", "owner_team": other_team.pk, "edit_days": 0}]
    for data in refused:
        response = client.post(url, data)
        assert response.status_code == 400 and 'data-testid="settings-error"' in response.content.decode()
    with tenant_scope(organization):
        repair.refresh_from_db()
        assert (repair.owner_team_id, SettingsChange.objects.filter(subject="forms_builder.form").count()) == (
            None, 0)
    response = client.post(url, {"name": "报修登记（新）", "owner_team": team.pk, "edit_days": 0})
    assert response.status_code == 302
    with tenant_scope(organization):
        repair.refresh_from_db()
        assert (repair.name, repair.owner_team_id) == ("报修登记（新）", team.pk)
        assert SettingsChange.objects.get(subject="forms_builder.form").detail["name"] == "报修登记（新）"
    # Emptied, the owner team goes; a post without the name or team (an older client) leaves them.
    assert client.post(url, {"name": "报修登记（新）", "owner_team": "", "edit_days": 0}).status_code == 302
    assert client.post(url, {"edit_days": 1}).status_code == 302
    with tenant_scope(organization):
        repair.refresh_from_db()
        assert (repair.name, repair.owner_team_id, repair.edit_days) == ("报修登记（新）", None, 1)
