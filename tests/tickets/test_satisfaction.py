"""Satisfaction: resolving sends the customer a rating link (a public comment the channel outbox sends, and an
event with the link); the public page takes one rating; a low one opens a QA review ticket for the QA supervisor."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.scrm.factories import TeamFactory
from tests.tenancy import tenant_pair
from tests.tickets.factories import QueueFactory, TicketFactory
from tickets.errors import MSG_RATING_RANGE, MSG_SURVEY_ANSWERED, MSG_SURVEY_EXPIRED, TicketError
from tickets.models import Comment, SatisfactionSurvey, Ticket, TicketEvent
from tickets.services import ticket_change_status
from tickets.services.satisfaction import survey_answer

pytestmark = pytest.mark.django_db


def _resolved(organization, actor, **kwargs):
    ticket = TicketFactory(organization=organization, status=Ticket.Status.OPEN, subject="空调不制冷", **kwargs)
    ticket_change_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=actor)
    return ticket


def _path(survey):
    return f"/rate/{survey.token}/"


def test_resolving_sends_the_customer_a_rating_link_on_the_tickets_channel(scoped, make_user,
                                                                          django_capture_on_commit_callbacks):
    agent = make_user(scoped, Role.AGENT)
    with django_capture_on_commit_callbacks() as callbacks:
        ticket = _resolved(scoped, agent)

    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert survey.token.startswith(f"{scoped.pk}-") and len(survey.token) > 40
    assert survey.rating is None and survey.expires_at > timezone.now() + timedelta(days=6)
    comment = Comment.objects.get(ticket=ticket)
    assert comment.is_public and comment.channel == "wechat_oa" and comment.author == agent
    assert f"http://127.0.0.1:8000/rate/{survey.token}/" in comment.body
    event = TicketEvent.objects.get(ticket=ticket, kind="comment")
    assert event.after["rating_link"].endswith(_path(survey))
    assert len(callbacks) == 1  # the public reply's delivery hook, after commit


def test_a_second_resolution_expires_the_first_link(scoped, make_user):
    agent = make_user(scoped, Role.AGENT)
    ticket = _resolved(scoped, agent)
    ticket_change_status(ticket=ticket, status=Ticket.Status.OPEN, actor=agent)
    ticket_change_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    first, second = SatisfactionSurvey.objects.filter(ticket=ticket).order_by("pk")
    assert first.is_expired and not second.is_expired


def test_the_customer_rates_once_without_signing_in(client, scoped, make_user):
    survey = SatisfactionSurvey.objects.get(ticket=_resolved(scoped, make_user(scoped, Role.AGENT)))

    page = client.get(_path(survey))
    assert page.status_code == 200 and 'data-testid="rate-form"' in page.content.decode()

    response = client.post(_path(survey), {"rating": "5", "comment": "很满意"})
    assert response.status_code == 200 and 'data-testid="rate-thanks"' in response.content.decode()
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == (5, "很满意") and survey.answered_at is not None
    assert survey.review_ticket is None

    again = client.post(_path(survey), {"rating": "1"})
    assert str(MSG_SURVEY_ANSWERED) in again.content.decode()
    survey.refresh_from_db()
    assert survey.rating == 5


def test_a_bad_rating_or_an_expired_link_changes_nothing(client, scoped, make_user):
    survey = SatisfactionSurvey.objects.get(ticket=_resolved(scoped, make_user(scoped, Role.AGENT)))
    for bad in ("0", "6", "abc", ""):
        response = client.post(_path(survey), {"rating": bad})
        assert response.status_code == 400
        assert str(MSG_RATING_RANGE) in response.content.decode()
    SatisfactionSurvey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(_path(survey)).status_code == 410
    with pytest.raises(TicketError, match=str(MSG_SURVEY_EXPIRED)):
        survey_answer(survey=survey, rating=4)
    survey.refresh_from_db()
    assert survey.rating is None and survey.answered_at is None


def test_unknown_and_forged_tokens_are_not_found(client, scoped, make_user):
    survey = SatisfactionSurvey.objects.get(ticket=_resolved(scoped, make_user(scoped, Role.AGENT)))
    assert client.get("/rate/nothing/").status_code == 404
    assert client.get(f"/rate/{scoped.pk}-guessed/").status_code == 404
    assert client.get(f"/rate/{scoped.pk + 1}{survey.token[len(str(scoped.pk)):]}/").status_code == 404


def test_a_low_rating_opens_a_review_ticket_for_the_qa_supervisor(client, scoped, make_user):
    qa_lead = make_user(scoped, Role.SUPERVISOR, username="qa-lead")
    qa_queue = QueueFactory(organization=scoped, code="qa", name="质检",
                            team=TeamFactory(organization=scoped, leader=qa_lead))
    ticket = _resolved(scoped, make_user(scoped, Role.AGENT))
    survey = SatisfactionSurvey.objects.get(ticket=ticket)

    client.post(_path(survey), {"rating": "2", "comment": "等了三天才有人回复"})

    survey.refresh_from_db()
    review = survey.review_ticket
    assert review.parent == ticket and review.queue == qa_queue and review.customer == ticket.customer
    assert ticket.number in review.subject and "等了三天才有人回复" in review.description
    assert review.priority == Ticket.Priority.P2
    notification = Notification.objects.get(recipient=qa_lead, kind=Notification.Kind.RATING_LOW)
    assert notification.ticket == review
    # Resolving the review itself asks nobody for a rating.
    ticket_change_status(ticket=review, status=Ticket.Status.ON_HOLD, actor=qa_lead)
    ticket_change_status(ticket=review, status=Ticket.Status.RESOLVED, actor=qa_lead)
    assert not SatisfactionSurvey.objects.filter(ticket=review).exists()


def test_without_a_qa_queue_one_is_created_on_the_first_low_rating(scoped, make_user):
    survey = SatisfactionSurvey.objects.get(ticket=_resolved(scoped, make_user(scoped, Role.AGENT)))
    survey_answer(survey=survey, rating=1)
    survey.refresh_from_db()
    assert survey.review_ticket.queue.code == "qa"


def test_a_link_opens_the_survey_of_its_own_organization_only(client, make_user):
    def seed(tenant):
        ticket = TicketFactory(organization=tenant.organization, status=Ticket.Status.OPEN,
                               subject=f"{tenant.marker} 工单")
        ticket_change_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=tenant.users[Role.AGENT])
        tenant.objects["survey"] = SatisfactionSurvey.objects.get(ticket=ticket)

    a, b = tenant_pair(seed)
    body = client.get(_path(a.objects["survey"])).content.decode()
    assert a.marker in body and b.marker not in body
    forged = f"{a.organization.pk}-{b.objects['survey'].token.partition('-')[2]}"
    assert client.get(f"/rate/{forged}/").status_code == 404
    with platform_scope():
        assert SatisfactionSurvey.objects.filter(answered_at__isnull=False).count() == 0
    with tenant_scope(a.organization):
        assert SatisfactionSurvey.objects.count() == 1
