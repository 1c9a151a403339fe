"""The demo's notifications: each demo user starts with a few unread, not 99+; a low rating of a demo ticket
reaches the demo supervisor, who sees the QA review ticket."""

import pytest

from demo.sla import DEMO_UNREAD
from notifications.models import Notification
from notifications.selectors import notification_unread_count
from scrm.models import Organization, User
from scrm.platform.tenancy import tenant_scope
from tickets.models import SatisfactionSurvey, Ticket
from tickets.selectors import ticket_visible
from tickets.services.satisfaction import survey_answer


@pytest.mark.django_db
def test_demo_users_start_with_a_few_unread_and_a_low_rating_reaches_the_supervisor(demo_seeded):
    organization = Organization.objects.get(slug="demo")
    with tenant_scope(organization):
        names = ["agent", "agent2", "agent3", "supervisor"]
        users = {u.username: u for u in User.objects.filter(username__in=names)}
        assert Notification.objects.count() > len(users) * DEMO_UNREAD  # the history is there, read
        for user in users.values():
            assert notification_unread_count(user=user) <= DEMO_UNREAD, user.username
        supervisor = users["supervisor"]
        # A rating of a ticket of the supervisor's regions (they see no other customers' tickets).
        survey = (SatisfactionSurvey.objects
                  .filter(answered_at__isnull=True, ticket__in=ticket_visible(user=supervisor))
                  .exclude(ticket__queue__code="qa").order_by("pk").first())
        survey = survey_answer(survey=survey, rating=1, comment="一直没人联系我")
        told = Notification.objects.get(kind=Notification.Kind.RATING_LOW, ticket=survey.review_ticket)
        assert told.recipient == supervisor
        assert ticket_visible(user=supervisor).filter(pk=survey.review_ticket_id).exists()
        assert Ticket.objects.get(pk=survey.review_ticket_id).queue.code == "qa"
