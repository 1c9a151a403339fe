"""Services: versions, submissions, intake tickets, ticket-type fields, tenant isolation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict

from forms_builder.errors import MSG_FORM_CLOSED, MSG_OTHER_ORGANIZATION, MSG_SLUG_TAKEN, FormError
from forms_builder.models import Form, FormFile, FormSubmission, FormVersion
from forms_builder.selectors import export_columns, form_summary, submission_rows
from forms_builder.services import form_create, form_draft_save, form_submit, form_update, form_version_publish
from scrm.models import Customer
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.forms_builder.factories import published_form, repair_schema
from tests.scrm.factories import OrganizationFactory
from tests.tickets.factories import QueueFactory, TicketFactory, TicketTypeFactory
from tickets.models import Ticket, TicketFieldAnswers
from tickets.services.forms import ticket_fields_save, ticket_type_set_form

GOOD = {"name": "张三", "mobile": "13812345678", "problem": "fault", "fault_code": "E12"}


def test_publishing_freezes_a_new_version_and_old_submissions_keep_theirs(scoped):
    form = published_form(scoped)
    first = form_submit(form=form, data=GOOD)
    schema = repair_schema()
    schema["sections"][0]["fields"][2]["label"] = "故障类别"  # a label edit keeps the key
    schema["sections"][0]["fields"][2]["options"][0]["label"] = "机器坏了"
    form_draft_save(form=form, schema=schema)
    assert FormVersion.objects.get(form=form, number=1).schema["sections"][0]["fields"][2]["label"] == "问题类型"
    version = form_version_publish(form=form)
    assert version.number == 2
    form.refresh_from_db()
    second = form_submit(form=form, data=GOOD)
    assert [first.version.number, second.version.number] == [1, 2]
    first.refresh_from_db()
    assert {"label": "问题类型", "value": "设备故障"}.items() <= submission_rows(first)[2].items()
    assert {"label": "故障类别", "value": "机器坏了"}.items() <= submission_rows(second)[2].items()
    assert export_columns(form)["problem"] == "故障类别"


def test_an_invalid_draft_is_refused_and_the_old_one_kept(scoped):
    form = published_form(scoped)
    bad = repair_schema()
    bad["sections"][0]["fields"][0]["type"] = "slider"
    with pytest.raises(FormError) as refused:
        form_draft_save(form=form, schema=bad)
    assert refused.value.problems[0][0] == "sections/0/fields/0/type"
    form.refresh_from_db()
    assert form.draft_schema == repair_schema()


def test_a_slug_is_unique_per_organization(scoped):
    form_create(organization=scoped, name="A", slug="a")
    with pytest.raises(FormError, match=str(MSG_SLUG_TAKEN % {"slug": "a"})):
        form_create(organization=scoped, name="B", slug="a")
    with platform_scope():
        other = OrganizationFactory()
    with tenant_scope(other):
        assert form_create(organization=other, name="A", slug="a").slug == "a"


def test_an_intake_submission_opens_a_routed_ticket_for_the_customer(scoped):
    queue = QueueFactory(organization=scoped, code="repairs")
    repair = TicketTypeFactory(organization=scoped, code="repair", name="报修")
    form = published_form(scoped, schema=repair_schema(
        subject_field="problem", ticket_type="repair",
        rules=[{"when": {"conditions": [{"field": "problem", "op": "equals", "value": "fault"}]},
                "queue": "repairs", "priority": 1}]))
    submission = form_submit(form=form, data=GOOD, ip="10.0.0.1", user_agent="Mobile Safari")
    ticket = Ticket.objects.get(pk=submission.outcome["ticket_id"])
    assert (ticket.type, ticket.queue, ticket.priority, ticket.channel) == (repair, queue, 1, "web_form")
    assert ticket.subject == "报修：设备故障"
    assert "故障代码：E12" in ticket.description
    assert ticket.customer == submission.customer
    assert (ticket.customer.display_name, ticket.customer.mobile) == ("张三", "+8613812345678")
    assert ticket.source_ref == f"form:{submission.pk}"
    # The same mobile again: the same customer, a new ticket.
    again = form_submit(form=form, data={**GOOD, "name": "张三丰"})
    assert again.customer == submission.customer
    assert Customer.objects.count() == 1


def test_a_hand_crafted_post_stores_nothing_the_form_forbids(scoped):
    form = published_form(scoped)
    crafted = {**GOOD, "problem": "install", "fault_code": "<script>", "is_admin": "1", "amount": "-5"}
    with pytest.raises(FormError) as refused:
        form_submit(form=form, data=crafted)
    assert list(refused.value.problems) == ["amount"]
    assert not FormSubmission.objects.exists() and not Ticket.objects.exists() and not Customer.objects.exists()
    submission = form_submit(form=form, data={**crafted, "amount": "5"})
    assert set(submission.data) == {"name", "mobile", "problem", "amount"}


def test_a_draft_or_closed_form_takes_no_public_answers(scoped):
    draft = form_create(organization=scoped, name="草稿", slug="draft", schema=repair_schema())
    with pytest.raises(FormError, match=str(MSG_FORM_CLOSED)):
        form_submit(form=draft, data=GOOD)
    form = published_form(scoped)
    form_update(form=form, status=Form.Status.CLOSED)
    form.refresh_from_db()
    with pytest.raises(FormError, match=str(MSG_FORM_CLOSED)):
        form_submit(form=form, data=GOOD)
    assert not FormSubmission.objects.exists()


def test_a_file_answer_is_stored_and_described(scoped):
    form = published_form(scoped, purpose="survey")
    photo = SimpleUploadedFile("坏了.jpg", b"\xff\xd8\xff" + b"x" * 50, content_type="image/jpeg")
    submission = form_submit(form=form, data=GOOD, files={"photo": photo})
    stored = FormFile.objects.get(submission=submission)
    assert submission.data["photo"] == {"file_id": stored.pk, "name": "坏了.jpg", "size": 53}
    assert stored.file.name.startswith(f"form-files/{scoped.pk}/")
    assert submission.customer is None  # only intake forms find or create the customer


def test_forms_of_another_organization_are_invisible_and_not_mixed(scoped):
    form = published_form(scoped)
    form_submit(form=form, data=GOOD)
    with platform_scope():
        other = OrganizationFactory()
    with tenant_scope(other):
        assert not Form.objects.filter(pk=form.pk).exists()
        assert not FormSubmission.objects.exists()
        theirs = published_form(other).current_version
    # A version of one organization's form cannot take answers for another's.
    with pytest.raises(FormError, match=str(MSG_OTHER_ORGANIZATION)):
        form_submit(form=form, data=GOOD, version=theirs)
    assert FormSubmission.objects.count() == 1


def test_ticket_type_fields_are_validated_and_kept_with_their_history(scoped, agent):
    fields = {"sections": [{"key": "s", "fields": [
        {"key": "address", "type": "text", "label": "安装地址", "required": True},
        {"key": "floor", "type": "number", "label": "楼层", "min": -3, "max": 100},
    ]}]}
    form = published_form(scoped, slug="install-fields", purpose=Form.Purpose.TICKET_FIELDS, schema=fields)
    install = TicketTypeFactory(organization=scoped, code="install", name="安装")
    ticket_type_set_form(ticket_type=install, form=form)
    ticket = TicketFactory(organization=scoped, type=install)
    with pytest.raises(FormError) as refused:
        ticket_fields_save(ticket=ticket, data={"floor": "500"}, actor=agent)
    assert set(refused.value.problems) == {"address", "floor"}
    assert not TicketFieldAnswers.objects.exists()
    ticket_fields_save(ticket=ticket, data={"address": "南京路1号", "floor": "3"}, actor=agent)
    ticket_fields_save(ticket=ticket, data={"address": "南京路2号"}, actor=agent)
    latest, first = TicketFieldAnswers.objects.filter(ticket=ticket).select_related("submission")
    assert latest.submission.data == {"address": "南京路2号"}
    assert first.submission.data == {"address": "南京路1号", "floor": "3"}
    assert Ticket.objects.count() == 1  # fields forms open no ticket


def test_the_summary_counts_choices_and_averages_ratings(scoped):
    schema = {"sections": [{"key": "s", "fields": [
        {"key": "rating", "type": "rating", "label": "满意度"},
        {"key": "why", "type": "multi_choice", "label": "改进",
         "options": [{"value": "speed", "label": "速度"}, {"value": "price", "label": "价格"}]}]}]}
    form = published_form(scoped, slug="survey", purpose="survey", schema=schema)
    for rating, why in [("5", []), ("4", ["speed"]), ("2", ["speed", "price"])]:
        data = QueryDict(mutable=True)
        data["rating"] = rating
        data.setlist("why", why)
        form_submit(form=form, data=data)
    rating, why = form_summary(form)
    assert rating["average"] == 3.67 and rating["total"] == 3
    assert [(row["label"], row["count"]) for row in why["rows"]] == [("速度", 2), ("价格", 1)]


def test_a_forms_owner_team_can_be_cleared_and_each_change_is_audited(scoped, ops_admin):
    """form_update kept the owner team when given none, so once set it could never be cleared; nor did it write
    the settings audit trail the settings card writes."""
    from scrm.models import SettingsChange, Team

    team = Team.objects.create(organization=scoped, name="售后服务部", code="AS")
    form = published_form(scoped)
    form_update(form=form, owner_team=team, actor=ops_admin)
    form_update(form=form, name="报修登记", actor=ops_admin)  # not given: the team stays
    form.refresh_from_db()
    assert (form.name, form.owner_team_id) == ("报修登记", team.pk)
    form_update(form=form, owner_team=None, actor=ops_admin)
    form.refresh_from_db()
    assert form.owner_team_id is None
    trail = SettingsChange.objects.filter(subject="forms_builder.form", subject_id=form.pk).order_by("pk")
    assert [(change.by, change.detail["owner_team"]) for change in trail] == [
        (ops_admin, team.pk), (ops_admin, team.pk), (ops_admin, None)]
    assert trail.last().detail == {"name": "报修登记", "purpose": "intake", "owner_team": None,
                                   "status": "published"}
    with platform_scope():
        foreign = Team.objects.create(organization=OrganizationFactory(), name="别家团队", code="X")
    with pytest.raises(FormError, match=str(MSG_OTHER_ORGANIZATION)):
        form_update(form=form, owner_team=foreign, actor=ops_admin)
    assert trail.count() == 3


def test_closing_a_form_on_its_page_is_audited(client, scoped, ops_admin):
    from django.urls import reverse

    from scrm.models import SettingsChange

    form = published_form(scoped)
    client.force_login(ops_admin)
    response = client.post(reverse("forms_builder:form-status", args=[form.pk]), {"status": "closed"})
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.status == Form.Status.CLOSED
    change = SettingsChange.objects.get(subject="forms_builder.form", subject_id=form.pk)
    assert (change.by, change.detail["status"]) == (ops_admin, "closed")
