"""What each role may do with tickets (granted by the tickets data migration from TicketsConfig.ready)."""

import pytest

from scrm.models import Role

pytestmark = pytest.mark.django_db

EXPECTED = {
    Role.OPS_ADMIN: ({"tickets.change_queue", "tickets.add_routingrule", "tickets.delete_tickettype",
                      "tickets.view_ticket"}, {"tickets.change_ticket"}),
    Role.SUPERVISOR: ({"tickets.view_ticket", "tickets.change_ticket", "tickets.view_queue", "tickets.assign_ticket"},
                      {"tickets.change_queue", "tickets.change_routingrule"}),
    Role.AGENT: ({"tickets.view_ticket", "tickets.change_ticket", "tickets.add_comment"},
                 {"tickets.change_queue", "tickets.delete_ticket", "tickets.assign_ticket"}),
    Role.VIEWER: ({"tickets.view_ticket"}, {"tickets.change_ticket", "tickets.add_comment"}),
    Role.FINANCE: (set(), {"tickets.view_ticket"}),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_holds_exactly_its_ticket_permissions(organization, make_user, role):
    user = make_user(organization, role)
    allowed, refused = EXPECTED[role]
    assert all(user.has_perm(p) for p in allowed), allowed - user.get_all_permissions()
    assert not any(user.has_perm(p) for p in refused), refused & user.get_all_permissions()
