"""No daily job needs the Django admin: a crawl of the pages each role reaches from its navigation finds no link
into /admin/ (the admin stays for the platform team and emergencies; the platform operator's console links there).

No exception is left: regions, teams, users and agent profiles have their pages under Settings. That every field the
admin lets ops change has a page in the product is tests/scrm/test_admin_fields_in_product.py."""

import re
from collections import deque

import pytest
from django.test import Client

from scrm.models import Role
from tests.tenancy import tenant_pair

pytestmark = pytest.mark.django_db

_HREF = re.compile(r'(?:href|hx-get)="(/[^"#?]*)')
# Links not followed: actions, downloads, machine endpoints, the admin itself.
_SKIP = ("/admin/", "/api/", "/hooks/", "/accounts/logout/", "/rate/", "/files/", "/static/", "/media/", "/i18n/")
MAX_PAGES = 80


def crawl(user):
    """Every page reachable from the home page by following links (GET, 200 HTML), with the /admin/ links each
    shows: {path: [admin links]}."""
    client = Client()
    client.force_login(user)
    seen, found, queue = set(), {}, deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, follow=True)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        links = _HREF.findall(body)
        admin = sorted({link for link in links if link.startswith("/admin/")})
        if admin:
            found[path] = admin
        queue.extend(link for link in links if not link.startswith(_SKIP) and link not in seen
                     and not link.endswith((".csv", ".xlsx", "/export/")))
    return found, seen


@pytest.mark.parametrize("role", [Role.OPS_ADMIN, Role.SUPERVISOR, Role.AGENT, Role.FINANCE, Role.VIEWER])
def test_no_page_a_role_reaches_links_to_the_admin(role):
    a, _b = tenant_pair()
    found, seen = crawl(a.users[role])
    assert len(seen) >= 3, seen
    assert found == {}, f"{role} is sent to the Django admin from: {found}"
