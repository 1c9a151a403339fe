"""The agent workspace: the queue pages (mine, team), take next and bulk actions, the ticket page with its
conversation and actions, the supervisor board, and the routing rule tester of the settings.

Views parse input, check the role, call a selector or a service and render; the services' TicketError messages are
shown as they are. Every ticket is looked up through `ticket_visible` (organization by the scope, then role, queues
and regions), so a ticket the user may not see is a 404 whatever they type.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from scrm.customers.phones import mask_mobile, mask_name
from scrm.models import AgentProfile, Tag
from scrm.paginators import CappedCountPaginator, TableRequestConfig
from scrm.platform.access import ModuleRequiredMixin, user_may_reveal_pii
from scrm.platform.coded import coded_render
from scrm.platform.panels import panels_for
from scrm.platform.timeline import customer_timeline
from tickets import selectors, services
from tickets.errors import (
    MSG_ASSIGNED,
    MSG_BULK_DONE,
    MSG_BULK_NOT_VISIBLE,
    MSG_BULK_REFUSED,
    MSG_MERGE_CONFIRM,
    MSG_MERGE_SELF,
    MSG_MERGE_TARGET_UNKNOWN,
    MSG_MERGED_INTO,
    MSG_NOT_ALLOWED,
    MSG_NOTE_ADDED,
    MSG_NOTHING_TO_TAKE,
    MSG_PRIORITY_CHANGED,
    MSG_REPLIED,
    MSG_REPLY_NOT_SENT,
    MSG_RETRY_QUEUED,
    MSG_SPLIT_DONE,
    MSG_STATUS_CHANGED,
    MSG_TAKEN,
    MSG_TRANSFERRED,
    MSG_UNASSIGNED,
    TicketError,
)
from tickets.filters import TicketFilter, sla_state_choices
from tickets.filters_fields import custom_field_filters, tickets_with_answers
from tickets.forms import (
    AssignForm,
    BulkActionForm,
    MergeForm,
    PriorityForm,
    ReplyForm,
    RuleTesterForm,
    SplitForm,
    StatusForm,
    TransferForm,
)
from tickets.models import ACTIVE_STATUSES, CannedResponse, Comment, Queue, Ticket, TicketEvent
from tickets.outbound import deliveries_for, reply_senders_for, templates_for
from tickets.permissions import (
    may_assign,
    may_assign_others,
    may_hold_tickets,
    may_log_tickets,
    may_reply,
    may_see_board,
    may_work,
)
from tickets.routing import RoutingSample, routing_evaluate
from tickets.services._core import TRANSITIONS
from tickets.services.delivery import SMS_TEXT_LIMIT, sms_available
from tickets.services.external import MSG_PLATFORM_CHANGE, MSG_PLATFORM_EFFECTS
from tickets.tables import EMPTY_TEXT, EMPTY_TEXT_NO_QUEUE, EMPTY_TEXT_TAKE_NEXT, TicketTable

PER_PAGE = 25
MSG_TRANSFERRED_AWAY = gettext_lazy("Ticket %(number)s transferred to queue “%(queue)s”: that queue is not one of "
                                    "yours, so it has left your list.")
MSG_REPLY_FILES_AGAIN = gettext_lazy("Your text is kept below; choose the files again to send them.")
# A refused reply's text (and whether it was a note), kept in the session for the ticket page's next showing.
_REPLY_DRAFT_KEY = "tickets:reply-draft:%s"
# The tag of what a reply that went through says (sent; recorded but not sent): the ticket page, which then opens on
# the message just sent, shows these beside the reply box rather than at its top, out of sight.
REPLY_MESSAGE_TAG = "reply"
# How often an open ticket's conversation looks for changes (seconds); the board: TICKETS_BOARD_POLL_SECONDS.
CONVERSATION_POLL_SECONDS = 5


def _form_errors(request, form):
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _ticket(request, pk):
    try:
        return selectors.ticket_for_user(user=request.user, pk=pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


def _back(request, default):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


# --- queue pages --------------------------------------------------------------------------------------------------

class _QueuePage(ModuleRequiredMixin, TemplateView):
    module = "tickets"
    template_name = "tickets/queue.html"
    page = ""
    title = ""

    def tickets(self):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        request = self.request
        ticket_filter = TicketFilter(request.GET, queryset=self.tickets(), request=request)
        answers = custom_field_filters(request.GET)  # the chosen type's custom fields, if it has any
        work = may_work(request.user)
        # Offered only to whom it can give a ticket: clicking it without an agent profile only said so.
        take_next = work and selectors.user_takes_from_queues(user=request.user)
        if take_next:
            empty_text = EMPTY_TEXT_TAKE_NEXT
        elif work and selectors.user_in_no_queue(user=request.user):
            empty_text = EMPTY_TEXT_NO_QUEUE
        else:
            empty_text = EMPTY_TEXT
        table = TicketTable(tickets_with_answers(ticket_filter.qs, answers), empty_text=empty_text)
        TableRequestConfig(request, paginate={"per_page": PER_PAGE, "paginator_class": CappedCountPaginator}).configure(
            table)
        query = request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            page=self.page, title=self.title, filter=ticket_filter, answers=answers, table=table,
            filter_query=query.urlencode(),
            sla_choices=sla_state_choices(), may_work=work, may_assign_others=may_assign_others(request.user),
            may_take_next=take_next,
            may_log=may_log_tickets(request.user), may_see_board=may_see_board(request.user),
            bulk_actions=BulkActionForm.ACTIONS, priorities=Ticket.Priority.choices,
            tags=Tag.objects.select_related("group").only("id", "name", "group__name") if work else (),
            assignees=(selectors.assignable_users()
                       if may_assign_others(request.user) else ()),
            **kwargs,
        )


class TicketQueueMineView(_QueuePage):
    """The module's home: an agent's or supervisor's own tickets; ops and viewers, who hold none, see every
    active ticket instead, and holders of custom roles the active tickets of their data scope."""

    @property
    def page(self):
        return "mine" if may_hold_tickets(self.request.user) else "team"

    @property
    def title(self):
        if self.page == "mine":
            return _("My tickets")
        return _("All active tickets") if selectors.user_sees_all_tickets(self.request.user) else _("Team queues")

    def tickets(self):
        if self.page == "mine":
            return selectors.ticket_queue_mine(user=self.request.user)
        return _team_tickets(self.request)


class TicketQueueTeamView(_QueuePage):
    page = "team"

    @property
    def title(self):
        return _("Team queues")

    def tickets(self):
        return _team_tickets(self.request)

    def get_context_data(self, **kwargs):
        return super().get_context_data(queues=selectors.queue_list_for_user(user=self.request.user).select_related(
            None).only("id", "name", "organization_id"), **kwargs)


def _team_tickets(request):
    """One queue in take-next order; several queues newest first (see selectors.ticket_queue_team)."""
    one_queue = request.GET.get("queue", "").isdigit()
    return selectors.ticket_queue_team(user=request.user, pool_only=request.GET.get("pool") == "1",
                                       take_next_order=one_queue)


class TicketTakeNextView(ModuleRequiredMixin, View):
    module = "tickets"

    def post(self, request):
        if not may_work(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)
        try:
            ticket = services.ticket_take_next(agent=request.user)
        except TicketError as exc:
            messages.warning(request, str(exc))
            return redirect("tickets:index")
        if ticket is None:
            messages.info(request, MSG_NOTHING_TO_TAKE)
            return redirect(_back(request, reverse("tickets:index")))
        messages.success(request, MSG_TAKEN % {"number": ticket.number})
        return redirect("tickets:ticket-detail", pk=ticket.pk)


class TicketBulkView(ModuleRequiredMixin, View):
    """One service call per selected ticket; the message says how many changed and why the others did not."""

    module = "tickets"

    def post(self, request):
        if not may_work(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)
        back = _back(request, reverse("tickets:index"))
        form = BulkActionForm(request.POST, tags=Tag.objects.all(),
                              assignees=selectors.assignable_users())
        if not form.is_valid():
            _form_errors(request, form)
            return redirect(back)
        action, ids = form.cleaned_data["action"], form.cleaned_data["ids"]
        if action == "assign" and not may_assign_others(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)
        tickets = list(selectors.ticket_visible(user=request.user).filter(pk__in=ids).order_by("pk"))
        changed, refusals = 0, []
        for ticket in tickets:
            try:
                self._apply(action, ticket, form.cleaned_data, request.user)
            except TicketError as exc:
                refusals.append(MSG_BULK_REFUSED % {"number": ticket.number, "reason": exc})
            else:
                changed += 1
        level = messages.success if changed == len(ids) else messages.warning
        level(request, MSG_BULK_DONE % {"changed": changed, "selected": len(ids)})
        if action == "assign" and changed:
            # Told once, with the load the whole batch left them with (as assigning one ticket tells it).
            _warn_workload(request, form.cleaned_data["assignee"])
        if len(tickets) < len(set(ids)):
            messages.warning(request, MSG_BULK_NOT_VISIBLE % {"count": len(set(ids)) - len(tickets)})
        for refusal in refusals[:10]:
            messages.warning(request, refusal)
        return redirect(back)

    def _apply(self, action, ticket, data, actor):
        if action == "assign":
            services.ticket_assign(ticket=ticket, assignee=data["assignee"], actor=actor)
        elif action == "tag":
            services.ticket_tags_add(ticket=ticket, tags=[data["tag"]], actor=actor)
        elif action == "priority":
            services.ticket_set_priority(ticket=ticket, priority=data["priority"], actor=actor)
        else:
            services.ticket_change_status(ticket=ticket, status=Ticket.Status.CLOSED, actor=actor)


# --- the ticket page ----------------------------------------------------------------------------------------------

def _label(choices, value):
    try:
        return choices(value).label
    except ValueError:
        return value


# What an SLA escalation records on the ticket (written by the sla app; read here without importing it).
_SLA_METRICS = {"first_response": gettext_lazy("First response"), "next_response": gettext_lazy("Next response"),
                "resolution": gettext_lazy("Resolution")}
# Why the due times of a ticket were computed again under the same policy (`sla_recompute`'s reasons).
_SLA_RECOMPUTE_REASONS = {
    "priority": gettext_lazy("priority changed"),
    "queue": gettext_lazy("queue changed"),
    "escalation": gettext_lazy("priority raised by an escalation"),
    "recomputed": gettext_lazy("SLA settings changed"),
}
_ESCALATION_ACTIONS = {
    "notify_assignee": gettext_lazy("assignee notified"),
    "notify_supervisor": gettext_lazy("supervisor notified"),
    "notify_team": gettext_lazy("team notified"),
    "raise_priority": gettext_lazy("priority raised"),
    "reassign_queue": gettext_lazy("moved to another queue"),
    "reassign_to_supervisor": gettext_lazy("given to the supervisor"),
}


def _trigger_text(code):
    """An escalation's trigger as `sla` records it ("75%", "breach", "breach+30"), in the reader's language; an
    event written before the codes kept the text of its day, shown as it is."""
    if code == "breach":
        return _("breach")
    if code.startswith("breach+") and code[7:].isdigit():
        return _("breach + %(minutes)s min") % {"minutes": code[7:]}
    return code


def event_summary(event):
    """One line saying what an event changed, from what it recorded at the time."""
    Kind = TicketEvent.Kind
    before, after = event.before or {}, event.after or {}

    def name(ref):
        return (ref or {}).get("name") or _("nobody")

    if event.kind == Kind.STATUS:
        return _("Status: %(before)s → %(after)s") % {
            "before": _label(Ticket.Status, before.get("status")), "after": _label(Ticket.Status, after.get("status"))}
    if event.kind == Kind.PRIORITY:
        return _("Priority: %(before)s → %(after)s") % {
            "before": _label(Ticket.Priority, before.get("priority")),
            "after": _label(Ticket.Priority, after.get("priority"))}
    if event.kind in (Kind.ASSIGNED, Kind.UNASSIGNED):
        return _("Assignee: %(before)s → %(after)s") % {
            "before": name(before.get("assignee")), "after": name(after.get("assignee"))}
    if event.kind == Kind.TRANSFERRED:
        return _("Queue: %(before)s → %(after)s (%(reason)s)") % {
            "before": name(before.get("queue")), "after": name(after.get("queue")), "reason": after.get("reason", "")}
    if event.kind == Kind.MERGED:
        if "merged_into" in after:
            return _("Merged into %(number)s") % {"number": name(after["merged_into"])}
        return _("%(number)s merged into this ticket") % {"number": name(after.get("duplicate"))}
    if event.kind == Kind.SPLIT:
        if "child" in after:
            return _("Messages split off into %(number)s") % {"number": name(after["child"])}
        return _("Split off %(number)s") % {"number": name(after.get("from"))}
    if event.kind == Kind.TAGGED:
        return _("Tagged %(tags)s") % {"tags": _(", ").join(after.get("tags", []))}
    if event.kind == Kind.CREATED:
        return _("Opened in queue %(queue)s") % {"queue": name(after.get("queue"))}
    if event.kind == Kind.SLA_APPLIED:
        policy = (after.get("policy") or {}).get("name")
        if not policy:
            return _("No SLA policy applies any more")
        if before.get("policy") == after["policy"].get("id"):
            # The same policy, new due times: say why, or it reads as the policy applied twice.
            reason = _SLA_RECOMPUTE_REASONS.get(after.get("reason"), _SLA_RECOMPUTE_REASONS["recomputed"])
            return _("SLA due times recalculated (%(reason)s): %(policy)s") % {"reason": reason, "policy": policy}
        return _("SLA applied: %(policy)s") % {"policy": policy}
    if event.kind == Kind.ESCALATED and after.get("breached"):
        metric = _SLA_METRICS.get(after["breached"], after["breached"])
        due = parse_datetime(after.get("due") or "")
        if due is None:
            return _("SLA missed: %(metric)s") % {"metric": metric}
        return _("SLA missed: %(metric)s (due %(due)s)") % {
            "metric": metric, "due": date_format(timezone.localtime(due), "Y-m-d H:i")}
    if event.kind == Kind.ESCALATED and after.get("metric"):
        metric = _SLA_METRICS.get(after["metric"], after["metric"])
        trigger = _trigger_text(str(after.get("trigger", "")))
        actions = _(", ").join(str(_ESCALATION_ACTIONS.get(a, a)) for a in after.get("actions", []))
        if actions:
            return _("Escalated (%(metric)s, %(trigger)s): %(actions)s") % {
                "metric": metric, "trigger": trigger, "actions": actions}
        return _("Escalated (%(metric)s, %(trigger)s)") % {"metric": metric, "trigger": trigger}
    if event.kind == Kind.PLATFORM:
        return _platform_text(before, after)
    if event.kind == Kind.UPDATED and "form_answers" in after:
        edit = after["form_answers"]
        changes = "; ".join(f"{c['label']}: {c['before'] or '—'} → {c['after'] or '—'}" for c in edit["changes"])
        if edit.get("by_customer"):
            return _("The customer changed the answers of “%(form)s”: %(changes)s") % {
                "form": edit["form"], "changes": changes}
        return _("Answers of “%(form)s” changed: %(changes)s") % {"form": edit["form"], "changes": changes}
    return event.get_kind_display()


def _platform_text(before, after):
    """What the platform did to the ticket's case, in the reader's words: the codes stored, worded through the words
    its reporter registered (scrm.platform.coded); a word it never registered shows as its code."""
    words, case = str(after.get("words") or ""), str(after.get("case") or "")

    def word(code):
        return coded_render({"code": code}, namespace=words) if words else code

    text = MSG_PLATFORM_CHANGE % {
        "case": word(case), "number": after.get("number", ""),
        "before": word(f"{case}.{before.get('status', '')}"), "after": word(f"{case}.{after.get('status', '')}")}
    effect = MSG_PLATFORM_EFFECTS.get(after.get("effect") or "")
    return _("%(change)s (%(effect)s)") % {"change": text, "effect": effect} if effect else str(text)


# A page showing a reply still on its way carries this after its stamp: its poll then always gets the conversation
# (the reply's state moves without the ticket changing) until every reply has settled (sent or failed for good).
DELIVERING_MARK = "~delivering"


def _conversation_context(ticket, user):
    rows = [(kind, at, obj, event_summary(obj) if kind == "event" else "")
            for kind, at, obj in selectors.ticket_conversation(ticket=ticket)]
    replies = [obj for kind, _at, obj, _summary in rows if kind == "comment" and obj.is_public and not obj.customer_id]
    deliveries = deliveries_for([c.pk for c in replies], organization_id=ticket.organization_id)
    for comment in replies:
        comment.delivery = deliveries.get(comment.pk)
    stamp = ticket.updated_at.isoformat()
    if any(not delivery.settled for delivery in deliveries.values()):
        stamp += DELIVERING_MARK
    # A conversation ticket's description is its first message, which the conversation shows already: once is enough.
    first = next((obj for kind, _at, obj, _summary in rows if kind == "comment" and obj.customer_id), None)
    description_shown = bool(ticket.description) and not (first is not None and first.body == ticket.description)
    return {
        "ticket": ticket, "conversation": rows, "description_shown": description_shown,
        "stamp": stamp, "poll_seconds": CONVERSATION_POLL_SECONDS,
        "may_work": may_work(user), "may_retry": may_reply(user),
    }


class TicketDetailView(ModuleRequiredMixin, TemplateView):
    module = "tickets"
    template_name = "tickets/detail.html"

    def get_context_data(self, pk, **kwargs):
        user = self.request.user
        ticket = _ticket(self.request, pk)
        customer = ticket.customer  # None on an internal ticket: no customer panel, no history
        timeline = customer_timeline(customer=customer, limit=8, user=user)[0] if customer is not None else []
        work = may_work(user)
        context = {
            **_conversation_context(ticket, user),
            "customer": customer,
            "masked_mobile": mask_mobile(customer.mobile) if customer is not None and customer.mobile else "",
            "masked_name": mask_name(customer.real_name) if customer is not None else "",
            "may_reveal": user_may_reveal_pii(user),
            "may_view_customers": user.has_perm("scrm.view_customer"), "timeline": timeline,
            # What other apps show beside the ticket (the customer's orders), without tickets importing them.
            "panels": panels_for("ticket", ticket=ticket, user=user),
            "may_assign_others": may_assign_others(user), "may_reply": may_reply(user),
            "statuses": [(s, Ticket.Status(s).label) for s in Ticket.Status if s in TRANSITIONS[ticket.status]],
            "priorities": Ticket.Priority.choices,
        }
        if work:
            window = selectors.reply_window(ticket=ticket)
            context.update(
                reply_form=ReplyForm(), reply_draft=self.request.session.pop(_REPLY_DRAFT_KEY % ticket.pk, None),
                reply_message_tag=REPLY_MESSAGE_TAG,
                canned=selectors.canned_responses_for(ticket=ticket),
                reply_window=window, reply_refusal=services.reply_window_refusal(ticket, window=window),
                sms_offer=bool(window and window.closed and sms_available(ticket)), sms_limit=SMS_TEXT_LIMIT,
                # An internal ticket has nobody to send a template message to.
                template_offer=templates_for(ticket) if window and window.closed and customer is not None else [],
                reply_sends=bool(reply_senders_for(ticket.channel)),
                attachment_limit=settings.TICKET_ATTACHMENT_MAX_BYTES,
                attachment_max_files=settings.TICKET_ATTACHMENT_MAX_FILES,
                queues=Queue.objects.exclude(pk=ticket.queue_id).order_by("name").only("id", "name"),
                assignees=(selectors.assignable_users()
                           if context["may_assign_others"] else ()),
            )
        return super().get_context_data(**context, **kwargs)


class TicketConversationView(ModuleRequiredMixin, View):
    """The conversation, for the page's poll: 204 (nothing to swap) while the ticket's updated_at is the one the
    page has, one indexed query; the conversation otherwise."""

    module = "tickets"

    def get(self, request, pk):
        stamp = selectors.ticket_stamp(user=request.user, pk=pk)
        if stamp is None:
            raise Http404
        known = parse_datetime(request.GET.get("since", "") or "")
        if known is not None and known == stamp:
            return HttpResponse(status=204)
        ticket = _ticket(request, pk)
        return render(request, "tickets/_conversation.html", _conversation_context(ticket, request.user))


class _TicketAction(ModuleRequiredMixin, View):
    """A POST on one ticket that calls one service; the service's refusal becomes an error message."""

    module = "tickets"
    form_class = None

    def check(self, request):
        if not may_work(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)

    def get_form(self, request, ticket):
        return self.form_class(request.POST, request.FILES)

    def post(self, request, pk):
        self.check(request)
        ticket = _ticket(request, pk)
        form = self.get_form(request, ticket)
        if not form.is_valid():
            _form_errors(request, form)
            self.refused(request, ticket)
            return self.respond(request, ticket)
        try:
            result = self.act(request, ticket, form.cleaned_data)
        except TicketError as exc:
            messages.error(request, str(exc))
            self.refused(request, ticket)
            return self.respond(request, ticket)
        return result or self.respond(request, ticket)

    def refused(self, request, ticket):
        """What to keep of a refused request for the page it goes back to (nothing by default)."""

    def respond(self, request, ticket):
        return redirect(_back(request, reverse("tickets:ticket-detail", args=[ticket.pk])))


class TicketReplyView(_TicketAction):
    form_class = ReplyForm

    def check(self, request):
        if not may_reply(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)

    def refused(self, request, ticket):
        # A reply refused (a file of a type not allowed, the reply window closed while it was typed) sent the agent
        # back to an empty box: what they wrote is shown again. Files cannot be kept; they are told to add them.
        body = request.POST.get("body", "")[:Comment.BODY_MAX_LENGTH]
        if body.strip():
            request.session[_REPLY_DRAFT_KEY % ticket.pk] = {"body": body, "public": request.POST.get("public") != "0"}
            if request.FILES:
                messages.info(request, MSG_REPLY_FILES_AGAIN)

    def act(self, request, ticket, data):
        comment = services.ticket_reply(ticket=ticket, author=request.user, body=data["body"], public=data["public"],
                                        attachments=data["attachments"])
        detail = reverse("tickets:ticket-detail", args=[ticket.pk])
        target = _back(request, detail)
        tag = REPLY_MESSAGE_TAG if target == detail else ""
        if not data["public"]:
            messages.success(request, MSG_NOTE_ADDED, extra_tags=tag)
        elif reply_senders_for(ticket.channel):
            messages.success(request, MSG_REPLIED, extra_tags=tag)
        else:
            messages.warning(request, MSG_REPLY_NOT_SENT % {"channel": ticket.get_channel_display()}, extra_tags=tag)
        # Back on the message just sent, not at the top of the page (the agent scrolled down to see it).
        return redirect(f"{detail}#comment-{comment.pk}" if target == detail else target)


class TicketReplyRetryView(_TicketAction):
    """Send a reply whose delivery failed for good again: whoever may reply may retry."""

    def check(self, request):
        if not may_reply(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)

    def get_form(self, request, ticket):
        return forms.Form(request.POST)

    def post(self, request, pk, comment_id):
        self.comment_id = comment_id
        return super().post(request, pk)

    def act(self, request, ticket, data):
        services.ticket_reply_retry(ticket=ticket, comment_id=self.comment_id, actor=request.user)
        messages.success(request, MSG_RETRY_QUEUED)


class TicketStatusView(_TicketAction):
    form_class = StatusForm

    def act(self, request, ticket, data):
        ticket = services.ticket_change_status(ticket=ticket, status=data["status"], actor=request.user)
        messages.success(request, MSG_STATUS_CHANGED % {"status": ticket.get_status_display()})


class TicketPriorityView(_TicketAction):
    form_class = PriorityForm

    def act(self, request, ticket, data):
        ticket = services.ticket_set_priority(ticket=ticket, priority=data["priority"], actor=request.user)
        messages.success(request, MSG_PRIORITY_CHANGED % {"priority": ticket.get_priority_display()})


class TicketAssignView(_TicketAction):
    """Supervisors give a ticket to anyone (or back to the pool); an agent may only take it or give it back."""

    def get_form(self, request, ticket):
        assignees = selectors.assignable_users()
        if not may_assign_others(request.user):
            assignees = assignees.filter(pk=request.user.pk)
        return AssignForm(request.POST, assignees=assignees)

    def act(self, request, ticket, data):
        assignee = data["assignee"]
        if not may_assign(request.user, ticket=ticket, assignee=assignee):
            raise PermissionDenied(MSG_NOT_ALLOWED)
        ticket = services.ticket_assign(ticket=ticket, assignee=assignee, actor=request.user)
        if assignee is None:
            messages.success(request, MSG_UNASSIGNED % {"number": ticket.number})
        else:
            messages.success(request, MSG_ASSIGNED % {"number": ticket.number, "user": assignee})
            _warn_workload(request, assignee)
        return None

    def get(self, request, pk):
        """The board row of the ticket with its assignment form (loaded when the supervisor asks for it, so a
        list of fifty tickets does not carry fifty lists of every agent)."""
        if not may_assign_others(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)
        row = selectors.board_cell_ticket(user=request.user, pk=pk)
        if row is None:
            raise Http404
        return render(request, "tickets/_board_row.html", {
            "t": row, "may_assign_others": True, "show_form": True,
            "assignees": selectors.assignable_users()})

    def respond(self, request, ticket):
        if request.headers.get("HX-Request"):
            # The board swaps the ticket's row, with the outcome (or the refusal) shown in it: a row of a count's
            # list, or of the at-risk list.
            row = selectors.board_cell_ticket(user=request.user, pk=ticket.pk)
            if row is None:
                return render(request, "tickets/_messages.html")
            if request.POST.get("row") == "risk":
                return render(request, "tickets/_board_risk_row.html", {"t": row, "just_assigned": True})
            return render(request, "tickets/_board_row.html", {
                "t": row, "just_assigned": True, "may_assign_others": may_assign_others(request.user)})
        return super().respond(request, ticket)


def _warn_workload(request, assignee):
    """A supervisor may give a ticket to an agent who is away or full (their decision), but is told so."""
    for warning in selectors.assignee_workload_warnings(assignee=assignee):
        messages.warning(request, warning)


class TicketTransferView(_TicketAction):
    form_class = TransferForm

    def act(self, request, ticket, data):
        ticket = services.ticket_transfer(ticket=ticket, queue=data["queue"], reason=data["reason"],
                                          actor=request.user)
        if not selectors.ticket_visible(user=request.user).filter(pk=ticket.pk).exists():
            # Sent to a queue the user does not work: its page would now answer "not found".
            messages.success(request, MSG_TRANSFERRED_AWAY % {"number": ticket.number, "queue": data["queue"].name})
            return redirect("tickets:index")
        messages.success(request, MSG_TRANSFERRED % {"queue": data["queue"].name})


class TicketMergeView(_TicketAction):
    """Merge this ticket (the duplicate) into another one the user may see, named by its number."""

    form_class = MergeForm

    @staticmethod
    def _target(request, data):
        number = data["primary"].strip().upper()
        primary = selectors.ticket_visible(user=request.user).filter(number=number).first()
        if primary is None:
            raise TicketError(MSG_MERGE_TARGET_UNKNOWN % {"number": number})
        return primary

    def get(self, request, pk):
        """The question the merge form asks before it is sent (JSON for confirm-submit.js), naming the ticket typed
        by its number and subject; a number that names no ticket of the user's, or this one, is said instead.
        Changes nothing."""
        self.check(request)
        ticket = _ticket(request, pk)
        form = MergeForm(request.GET)
        if not form.is_valid():
            return JsonResponse({"error": " ".join(e for errors in form.errors.values() for e in errors)}, status=400)
        try:
            primary = self._target(request, form.cleaned_data)
        except TicketError as exc:
            return JsonResponse({"error": str(exc)}, status=404)
        if primary.pk == ticket.pk:
            return JsonResponse({"error": str(MSG_MERGE_SELF)}, status=400)
        return JsonResponse({"confirm": str(MSG_MERGE_CONFIRM % {
            "duplicate": ticket.number, "primary": primary.number, "subject": primary.subject})})

    def act(self, request, ticket, data):
        primary = self._target(request, data)
        primary = services.ticket_merge(primary=primary, duplicate=ticket, actor=request.user)
        messages.success(request, MSG_MERGED_INTO % {"duplicate": ticket.number, "primary": primary.number})
        return redirect("tickets:ticket-detail", pk=primary.pk)


class TicketSplitView(_TicketAction):
    def get_form(self, request, ticket):
        return SplitForm(request.POST, ticket=ticket)

    def act(self, request, ticket, data):
        child = services.ticket_split(ticket=ticket, subject=data["subject"],
                                      comment_ids=[c.pk for c in data["comments"]], actor=request.user)
        messages.success(request, MSG_SPLIT_DONE % {"number": child.number})
        return redirect("tickets:ticket-detail", pk=child.pk)


class TicketCannedView(ModuleRequiredMixin, View):
    """A canned response filled in for this ticket and agent, as JSON text for the reply box's script."""

    module = "tickets"

    def get(self, request, pk, canned_pk):
        if not may_work(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)
        ticket = _ticket(request, pk)
        canned = selectors.canned_responses_for(ticket=ticket).filter(pk=canned_pk).only(
            "id", "body", "organization_id").first()
        if canned is None:
            raise Http404
        try:
            text = services.canned_response_render(canned=canned, ticket=ticket, agent=request.user)
        except TicketError as exc:  # e.g. a form link on an internal ticket: no customer to sign it for
            return JsonResponse({"error": str(exc)}, status=400)
        return JsonResponse({"text": text})


# --- the supervisor board -----------------------------------------------------------------------------------------

def _board_region(request):
    """The board's region filter; a region out of the user's reach is no filter (it could only show nothing)."""
    value = request.GET.get("region", "")
    if not value.isdigit():
        return None
    return selectors.board_regions(user=request.user).filter(pk=int(value)).first()


def _poll_seconds():
    return settings.TICKETS_BOARD_POLL_SECONDS


class _BoardPage(ModuleRequiredMixin, TemplateView):
    """A part of the supervisor board: supervisors and ops only (`may_see_board`)."""

    module = "tickets"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_see_board(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)
        return super().dispatch(request, *args, **kwargs)


def _board_live_context(user, region=None):
    live = selectors.board_live(user=user, region=region)
    rows = [(t, selectors.board_suggested_assignee(ticket=t, agents=live.agents)) for t in live.at_risk]
    assignees = sorted((a for a in live.agents if a.profile.status == a.profile.Status.ONLINE),
                       key=lambda a: (a.load, a.user.username))
    presence = {status: sum(1 for a in live.agents if a.profile.status == status)
                for status, _label in AgentProfile.Status.choices}
    chart = {
        "labels": [q.queue.name if q.queue else str(_("No queue")) for q in live.queues],
        "series": [
            {"label": str(_("Waiting")), "data": [q.waiting for q in live.queues], "color": "#0d6efd"},
            {"label": str(_("At risk")), "data": [q.at_risk for q in live.queues], "color": "#fd7e14"},
            {"label": str(_("Breached")), "data": [q.breached for q in live.queues], "color": "#dc3545"},
        ],
    }
    return {"live": live, "risk_rows": rows, "risk_assignees": assignees, "presence": presence,
            "presence_labels": AgentProfile.Status.choices, "chart": chart, "poll_seconds": _poll_seconds(),
            "may_assign_others": may_assign_others(user), "region": region}


class TicketBoardView(_BoardPage):
    """The supervisor's operations screen: agents, queues, today's figures and the at-risk tickets (refreshed by htmx
    from TicketBoardLiveView), and the open tickets by queue × status (refreshed by htmx here: the counts only, so a
    ticket list opened under a count and the supervisor's choice in it stay as they are)."""

    template_name = "tickets/board.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["tickets/_board_counts.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        region = _board_region(self.request)
        rows, totals = selectors.board_counts(user=self.request.user, region=region)
        statuses = [(s, Ticket.Status(s).label) for s in ACTIVE_STATUSES]
        live = {} if self.request.headers.get("HX-Request") else _board_live_context(self.request.user, region)
        return super().get_context_data(
            rows=[(queue, [(s, counts.get(s, 0)) for s, _label in statuses], sum(counts.values()))
                  for queue, counts in rows],
            totals=[totals[s] for s, _label in statuses], statuses=statuses,
            regions=(selectors.board_regions(user=self.request.user).only("id", "name", "organization_id")
                     if not self.request.headers.get("HX-Request") else ()),
            **{"poll_seconds": _poll_seconds(), **live, "region": region}, **kwargs,
        )


class TicketBoardLiveView(_BoardPage):
    """The live part of the board (agents, queues, today, at risk), which the board page asks for every few
    seconds."""

    template_name = "tickets/_board_live.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**_board_live_context(self.request.user, _board_region(self.request)),
                                        **kwargs)


class TicketBoardCellView(_BoardPage):
    """The tickets under one count of the board, each with an assign control for supervisors."""

    template_name = "tickets/_board_cell.html"

    def get_context_data(self, **kwargs):
        status = self.request.GET.get("status", "")
        if status not in ACTIVE_STATUSES:
            raise Http404
        queue_value = self.request.GET.get("queue", "")
        if queue_value == "none":
            queue_id, queue_name = None, _("No queue")
        elif queue_value.isdigit():
            queue = selectors.queue_list_for_user(user=self.request.user).filter(pk=int(queue_value)).first()
            queue_id = int(queue_value)
            queue_name = queue.name if queue else queue_value
        else:
            raise Http404
        user = self.request.user
        return super().get_context_data(
            tickets=selectors.board_cell(user=user, queue_id=queue_id, status=status,
                                         region=_board_region(self.request)),
            status_label=Ticket.Status(status).label, queue_name=queue_name,
            may_assign_others=may_assign_others(user), **kwargs,
        )


# --- settings: the routing rule tester ----------------------------------------------------------------------------

class RoutingRuleTesterView(ModuleRequiredMixin, TemplateView):
    """Ops type a sample ticket and see which rule (first match in order) would apply and what it would set."""

    module = "settings"
    template_name = "tickets/rules.html"

    def get_context_data(self, **kwargs):
        rules = selectors.routing_rules_active()
        form = RuleTesterForm(self.request.GET or None)
        decision, tested = None, False
        if form.is_bound and form.is_valid():
            tested = True
            data = form.cleaned_data
            decision = routing_evaluate(rules, RoutingSample(
                subject=data["subject"], description=data["description"], channel=data["channel"],
                type_id=data["type"].pk if data["type"] else None, customer_level=data["customer_level"],
                region_path=data["region"].path if data["region"] else "",
            ))
        return super().get_context_data(
            rules=selectors.routing_rules_all(), form=form, decision=decision, tested=tested,
            canned_count=CannedResponse.objects.count(), **kwargs,
        )
