"""Satisfaction: resolving a ticket sends its customer a rating link; a rating under
`SATISFACTION_REVIEW_BELOW` opens a QA review ticket (a child of the rated one, in the organization's "qa" queue)
and tells that queue's supervisor.

How the link reaches the customer: `survey_create` writes it as a public comment on the ticket, in the name of
whoever resolved it, and hands the comment to the same after-commit hook as any public reply (`_send_reply` in
lifecycle), so the channel outbox sends it on the ticket's own channel (WeChat, shop chat ...). On channels with
no way back (phone, manual) the comment and its event still show the link for the agent to pass on.
The survey is written in the resolving transaction: a resolution never commits without its survey.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification
from notifications.services import absolute_url, notify
from scrm.models import AgentProfile, Channel, Team, User
from scrm.platform.coded import coded, coded_messages_register
from scrm.platform.tenancy import tenant_scope
from tickets.errors import MSG_RATING_RANGE, MSG_SURVEY_ANSWERED, MSG_SURVEY_EXPIRED, TicketError
from tickets.models import Comment, Queue, SatisfactionSurvey, Ticket, TicketEvent
from tickets.services._core import event_write, ref
from tickets.services.alerts import QA_QUEUE_CODE, queue_supervisors

QA_QUEUE_NAME = _("QA review")
RATING_MESSAGE = _("Your ticket %(number)s has been resolved. How did we do? Rate us here: %(url)s")
REVIEW_SUBJECT = _("QA review: ticket %(number)s rated %(rating)s/5")
REVIEW_DESCRIPTION = _("The customer rated ticket %(number)s (%(subject)s) %(rating)s out of 5.\n\nTheir comment: "
                       "%(comment)s")
LOW_RATING_TITLE = _("Ticket %(number)s was rated %(rating)s/5: review %(review)s opened")
# The supervisors' notification, worded in its reader's language (notifications store codes, scrm.platform.coded).
coded_messages_register({"tickets.low_rating_title": LOW_RATING_TITLE})


def survey_url(survey):
    return absolute_url(reverse("public:rate", kwargs={"token": survey.token}))


def survey_create(*, ticket, actor=None):
    """Create the rating request of a ticket just resolved (inside the resolving transaction and scope, the
    ticket locked) and its public comment with the link; returns the comment, to be sent after commit, or None
    when no survey is due (QA review tickets and internal tickets, which have no customer, are not rated). Earlier
    unanswered links of the ticket expire."""
    if ticket.customer_id is None or (ticket.queue_id and ticket.queue.code == QA_QUEUE_CODE):
        return None
    now = timezone.now()
    SatisfactionSurvey.objects.filter(ticket=ticket, answered_at__isnull=True, expires_at__gt=now).update(
        expires_at=now)
    survey = SatisfactionSurvey.objects.create(
        organization_id=ticket.organization_id, ticket=ticket,
        token=f"{ticket.organization_id}-{secrets.token_urlsafe(32)}",
        expires_at=now + timedelta(days=settings.SATISFACTION_SURVEY_DAYS),
    )
    url = survey_url(survey)
    with translation.override(settings.LANGUAGE_CODE):
        body = str(RATING_MESSAGE % {"number": ticket.number, "url": url})
    comment = Comment.objects.create(
        organization_id=ticket.organization_id, ticket=ticket, is_public=True, author=actor, body=body,
        channel=ticket.channel,
    )
    event_write(ticket, TicketEvent.Kind.COMMENT, actor=actor, comment=comment,
                after={"comment": comment.pk, "public": True, "survey": survey.pk, "rating_link": url})
    return comment


def survey_by_token(token):
    """The survey of a public link, or None. The organization comes from the token's prefix, so the lookup runs
    in that tenant's scope on its (organization, token) index."""
    prefix, _sep, _rest = (token or "").partition("-")
    if not prefix.isdigit():
        return None
    with tenant_scope(int(prefix)):
        return SatisfactionSurvey.objects.select_related("ticket", "organization").filter(token=token).first()


def _qa_queue(organization_id, ticket):
    """The QA queue, created on the first low rating: for the quality team (its leader first), else the rated
    ticket's team, so that a supervisor sees the reviews and is told of them."""
    queue = Queue.objects.filter(code=QA_QUEUE_CODE).select_related("team").first()
    if queue is not None:
        return queue
    team = (Team.objects.filter(kind=Team.Kind.QUALITY).order_by(F("leader").asc(nulls_last=True), "pk").first()
            or ticket.team or (ticket.queue.team if ticket.queue_id else None))
    with translation.override(settings.LANGUAGE_CODE):
        name = str(QA_QUEUE_NAME)
    queue, _created = Queue.objects.get_or_create(
        organization_id=organization_id, code=QA_QUEUE_CODE, defaults={"name": name, "team": team})
    return queue


@transaction.atomic
def survey_answer(*, survey, rating, comment=""):
    """Record the customer's rating (once, before the link expires). Under the review threshold it opens a QA
    review ticket, child of the rated one, and tells the QA queue's supervisor. Returns the survey."""
    from tickets.services.lifecycle import ticket_open  # lifecycle calls survey_create from this module

    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise TicketError(MSG_RATING_RANGE) from None
    if not 1 <= rating <= 5:
        raise TicketError(MSG_RATING_RANGE)
    with tenant_scope(survey.organization_id):
        survey = SatisfactionSurvey.objects.select_for_update(of=("self",)).select_related(
            "ticket__customer", "organization").get(pk=survey.pk)
        if survey.is_answered:
            raise TicketError(MSG_SURVEY_ANSWERED)
        if survey.is_expired:
            raise TicketError(MSG_SURVEY_EXPIRED)
        survey.rating, survey.comment, survey.answered_at = rating, (comment or "").strip()[:2000], timezone.now()
        fields = ["rating", "comment", "answered_at"]
        if rating < settings.SATISFACTION_REVIEW_BELOW:
            ticket = survey.ticket
            queue = _qa_queue(survey.organization_id, ticket)
            values = {"number": ticket.number, "rating": rating, "subject": ticket.subject,
                      "comment": survey.comment or "-"}
            with translation.override(settings.LANGUAGE_CODE):
                subject, description = str(REVIEW_SUBJECT % values), str(REVIEW_DESCRIPTION % values)
            review = ticket_open(
                organization=survey.organization, customer=ticket.customer, subject=subject,
                description=description, channel=Channel.MANUAL, queue=queue, parent=ticket,
                priority=Ticket.Priority.P2,
            )
            survey.review_ticket = review
            fields.append("review_ticket")
            title = coded("tickets.low_rating_title", number=ticket.number, rating=rating, review=review.number)
            for supervisor in review_supervisors(queue, ticket):
                notify(recipient=supervisor, kind=Notification.Kind.RATING_LOW, ticket=review, title=title,
                       body=survey.comment)
        survey.save(update_fields=fields)
        event_write(survey.ticket, TicketEvent.Kind.RATED, after={
            "survey": survey.pk, "rating": rating, "comment": survey.comment,
            "review": ref(survey.review_ticket) if survey.review_ticket_id else None})
        return survey


def review_supervisors(queue, ticket):
    """Who hears of a QA review: the QA queue's supervisors (its team's leader, its members' supervisors); when it
    has none, the rated ticket's (its agent's supervisor, the leader of its team)."""
    supervisors = queue_supervisors(queue)
    if supervisors:
        return supervisors
    ids = set()
    if ticket.assignee_id:
        ids.update(AgentProfile.objects.filter(user_id=ticket.assignee_id, supervisor__isnull=False)
                   .values_list("supervisor_id", flat=True))
    for team in (ticket.team, ticket.queue.team if ticket.queue_id else None):
        if team is not None and team.leader_id:
            ids.add(team.leader_id)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk")) if ids else []


def survey_latest(*, ticket):
    """The ticket's latest answered survey, or None."""
    return (SatisfactionSurvey.objects.filter(ticket=ticket, answered_at__isnull=False)
            .order_by("-answered_at").first())
