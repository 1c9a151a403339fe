"""Alerts that reach someone at once: a new ticket nobody was given that cannot wait for the SLA ladder's first
warning (P1 or P2, or in a queue whose tickets are dispatched by hand) tells the queue's supervisors, in the
notification centre and by email, when it is opened."""

from django.utils.translation import gettext_lazy as _

from notifications.models import Notification
from notifications.services import Notice, notify_many
from scrm.models import AgentProfile, User
from scrm.platform.coded import coded, coded_messages_register
from tickets.models import Ticket

# The organization's queue of QA reviews of low satisfaction ratings (tickets.services.satisfaction).
QA_QUEUE_CODE = "qa"
WAITING_TITLE = _("%(priority)s ticket %(number)s waits for an agent in %(queue)s")
URGENT = (Ticket.Priority.P1, Ticket.Priority.P2)
# The alert, worded in its reader's language (notifications store codes, scrm.platform.coded); the priority is one
# of the product's words, a code of its own.
coded_messages_register({
    "tickets.waiting_title": WAITING_TITLE,
    **{f"tickets.priority_{priority.value}": priority.label for priority in Ticket.Priority},
})


def queue_supervisors(queue):
    """Who dispatches a queue's tickets: the leader of its team and the supervisors of its member agents (active
    users only), in a stable order."""
    ids = set(AgentProfile.objects.filter(queue_memberships__queue=queue, supervisor__isnull=False)
              .values_list("supervisor_id", flat=True))
    if queue.team_id is not None and queue.team.leader_id is not None:
        ids.add(queue.team.leader_id)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk")) if ids else []


def ticket_alert_waiting(ticket, *, actor=None):
    """Tell the queue's supervisors that a ticket just opened waits in the pool, when it is urgent (P1, P2) or its
    queue is dispatched by hand. Call it in the opening transaction, after the assignment. Returns who was told.
    QA review tickets are announced by the satisfaction flow itself."""
    queue = ticket.queue
    if ticket.assignee_id is not None or queue is None or queue.code == QA_QUEUE_CODE:
        return []
    if ticket.priority not in URGENT and queue.auto_assign:
        return []
    recipients = queue_supervisors(queue)
    title = coded("tickets.waiting_title", priority=coded(f"tickets.priority_{int(ticket.priority)}"),
                  number=ticket.number, queue=queue.name)
    notify_many([Notice(recipient=user, kind=Notification.Kind.WAITING, ticket=ticket, actor=actor, title=title,
                        body=ticket.subject) for user in recipients])
    return recipients
