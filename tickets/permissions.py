"""Who may do what to tickets: one rule per action, read by the workspace pages and the API alike.

Model permissions (the role table in scrm.platform.roles, custom roles included) say whether a user may act at all;
these functions add what depends on the user's role and the ticket's state.
"""


def may_work(user):
    """Agents and supervisors change tickets; ops admins and viewers only look."""
    return user.has_perm("tickets.change_ticket")


def may_hold_tickets(user):
    """Who has tickets of their own ("My tickets" is their home): whoever works tickets (agents, supervisors, and a
    custom role granting `tickets.change_ticket`); ops admins and viewers only look."""
    return may_work(user)


def may_assign_others(user):
    """Giving a ticket to someone else is a supervisor's decision: `tickets.assign_ticket` (the preset supervisors
    hold it; a custom role may grant it), on top of working tickets."""
    return may_work(user) and user.has_perm("tickets.assign_ticket")


def may_see_board(user):
    """The operations board is for those who run the desk: supervisors, ops admins and superusers, and a custom role
    that reads tickets and manages agents (`scrm.change_agentprofile`, a right supervisors and ops hold, agents and
    viewers do not)."""
    if user.is_superuser:
        return True
    return user.has_perm("tickets.view_ticket") and user.has_perm("scrm.change_agentprofile")


def may_assign(user, *, ticket, assignee):
    """Supervisors give a ticket to anyone or back to the pool; anyone who works tickets may take one, or hand back
    one that is theirs (or nobody's)."""
    if may_assign_others(user):
        return True
    if not may_work(user):
        return False
    if assignee is None:
        return ticket.assignee_id in (None, user.pk)
    return assignee.pk == user.pk


def may_log_tickets(user):
    """Opening a ticket by hand (新建工单 and POST /api/v1/tickets/)."""
    return user.has_perm("tickets.add_ticket")


def may_reply(user):
    """Writing to the customer or a note on a ticket, and sending a reply whose delivery failed again."""
    return may_work(user) and user.has_perm("tickets.add_comment")
