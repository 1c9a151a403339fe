"""Every lift of the tenant guard in the product is known and justified. A person's lift (the platform console) or
a named maintenance command's goes through `platform_lift`, which records who, when and what; system machinery
that must see every tenant calls `platform_scope()` with a `# Lift:` comment saying why (docs/tenancy.md lists
them). A new call site fails here until it is added below with its reason."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from scrm.models import PlatformAudit, User
from scrm.platform.tenancy import platform_scope

PRODUCT = ["scrm", "tickets", "sla", "notifications", "channels_ingest", "settlement", "forms_builder", "demo"]
# Where the lifts are defined, not used.
DEFINITIONS = {"scrm/platform/tenancy.py", "scrm/platform/audit.py"}

AUDITED = "audited (platform_lift: who, when, what in PlatformAudit)"
SYSTEM = "system machinery (platform_scope with a # Lift: comment)"

ALLOWED = {
    ("scrm/platform/middleware.py", "TenantScopeMiddleware.__call__"):
        (AUDITED, "the platform console: a platform operator's requests under /admin/"),
    ("scrm/management/commands/createsuperuser.py", "Command.handle"):
        (AUDITED, "maintenance command: a platform operator belongs to no organization; usernames are global"),
    ("scrm/auth.py", "own_scope"):
        (SYSTEM, "sign-in writes a platform operator's own row, which belongs to no organization"),
    ("scrm/models/people.py", "User.validate_unique"):
        (SYSTEM, "usernames are unique across the platform: only whether a name is taken is read"),
    ("channels_ingest/services/accounts.py", "_validate"):
        (SYSTEM, "account slugs are global (callback URLs): only whether a slug is taken is read"),
    ("channels_ingest/services/processing.py", "account_for_slug"):
        (SYSTEM, "a callback names only its account's slug: this lookup decides the organization it runs for"),
    ("scrm/customers/jobs.py", "customer_exports_expire"):
        (SYSTEM, "hourly beat: expired export files of every organization, through one locked query"),
    ("sla/services.py", "sla_sweep"):
        (SYSTEM, "beat every 30 s: due tickets of every organization locked by time through the sweep's index"),
}


# Every read through an unscoped manager (`all_objects`, of any model) in the product, and why: the other way round
# the guard. A new use fails until it is rewritten to open the right scope, or justified here and in docs/tenancy.md.
UNSCOPED_ALLOWED = {
    ("scrm/auth.py", "ScrmModelBackend.authenticate"):
        "sign-in: no organization is known until the username names its user (usernames are global)",
    ("scrm/auth.py", "ScrmModelBackend.get_user"):
        "session and token loading: the request's organization is read from the user it names",
    ("scrm/services/people.py", "user_language_set"):
        "the signed-in user's own row, by id: a platform operator (no organization to scope to) chooses a language too",
}
# The unscoped managers declared on tenant models: none but the users', for the two uses above.
UNSCOPED_MANAGERS = {("scrm", "User", "all_objects")}


def _lifts():
    """{(path, qualified function): (call name, line numbers)} of every call of platform_scope/platform_lift."""
    base = Path(settings.BASE_DIR)
    found = {}
    for package in PRODUCT:
        for path in sorted((base / package).rglob("*.py")):
            relative = path.relative_to(base).as_posix()
            if relative in DEFINITIONS:
                continue
            tree = ast.parse(path.read_text(), filename=relative)
            _visit(tree, [], relative, found)
    return found


def _product_sources():
    base = Path(settings.BASE_DIR)
    for package in PRODUCT:
        for path in sorted((base / package).rglob("*.py")):
            relative = path.relative_to(base).as_posix()
            if "/migrations/" not in relative:  # historical models: migrations are platform code
                yield relative, ast.parse(path.read_text(), filename=relative)


def _unscoped_uses():
    """{(path, qualified function)} of every `<anything>.all_objects` read in the product."""
    found = set()

    def visit(node, names, relative):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, [*names, child.name], relative)
                continue
            if isinstance(child, ast.Attribute) and child.attr == "all_objects":
                found.add((relative, ".".join(names) or "<module>"))
            visit(child, names, relative)

    for relative, tree in _product_sources():
        visit(tree, [], relative)
    return found


def _visit(node, names, relative, found):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            _visit(child, [*names, child.name], relative, found)
            continue
        if isinstance(child, ast.Call):
            func = child.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in {"platform_scope", "platform_lift"}:
                site = found.setdefault((relative, ".".join(names) or "<module>"), (name, []))
                site[1].append(child.lineno)
        _visit(child, names, relative, found)


def test_every_lift_of_the_guard_in_the_product_is_allowed_with_a_reason():
    sites = _lifts()
    unknown = sorted(set(sites) - set(ALLOWED))
    assert unknown == [], f"new lifts of the tenant guard: open the right tenant_scope, or justify them here: {unknown}"
    stale = sorted(set(ALLOWED) - set(sites))
    assert stale == [], f"allowed lifts that no longer exist: {stale}"


def test_every_read_through_an_unscoped_manager_is_allowed_with_a_reason():
    uses = _unscoped_uses()
    unknown = sorted(uses - set(UNSCOPED_ALLOWED))
    assert unknown == [], f"new reads through all_objects: open the right tenant_scope, or justify them here: {unknown}"
    stale = sorted(set(UNSCOPED_ALLOWED) - uses)
    assert stale == [], f"allowed unscoped reads that no longer exist: {stale}"


def test_tenant_models_declare_no_unscoped_manager_but_the_users():
    from django.apps import apps

    from scrm.platform.tenancy import TenantManager, TenantModel

    unscoped = {(model._meta.app_label, model.__name__, manager.name)
                for model in apps.get_models() if issubclass(model, TenantModel)
                for manager in model._meta.managers if not isinstance(manager, TenantManager)}
    assert unscoped == UNSCOPED_MANAGERS
    doc = Path(settings.BASE_DIR, "docs", "tenancy.md").read_text()
    for relative, function in UNSCOPED_ALLOWED:
        assert f"`{relative}`" in doc and function.split(".")[-1] in doc, (relative, function)


def test_people_and_commands_lift_through_the_audit_and_machinery_says_why():
    base = Path(settings.BASE_DIR)
    for (relative, function), (call, lines) in _lifts().items():
        kind, _reason = ALLOWED[(relative, function)]
        if kind == AUDITED:
            assert call == "platform_lift", f"{relative}:{function} lifts the guard unaudited"
            continue
        assert call == "platform_scope", (relative, function)
        source = base.joinpath(relative).read_text().splitlines()
        for line in lines:
            before = source[max(line - 4, 0):line]
            assert any("# Lift:" in text for text in before), f"{relative}:{line} needs a '# Lift:' comment"


def test_the_docs_list_every_lift():
    doc = Path(settings.BASE_DIR, "docs", "tenancy.md").read_text()
    for relative, function in ALLOWED:
        assert f"`{relative}`" in doc and function.split(".")[-1] in doc, (relative, function)


@pytest.mark.django_db
def test_the_platform_console_records_who_opened_what(organization, ops_admin):
    with platform_scope():
        operator = User.objects.create_superuser("platform-operator", password="Sl0w-Turtle!")  # noqa: S106
    console = Client()
    console.force_login(operator)
    assert console.get("/admin/scrm/organization/?q=acme").status_code == 200

    [entry] = PlatformAudit.objects.all()
    assert (entry.source, entry.actor_id) == ("console", operator.pk)
    assert entry.what == "GET /admin/scrm/organization/?q=acme"

    # An organization's own admin works in its scope: not a lift, nothing recorded.
    tenant_admin = Client()
    tenant_admin.force_login(ops_admin)
    assert tenant_admin.get("/admin/").status_code == 200
    assert PlatformAudit.objects.count() == 1
    # The audit is the console's too, and read-only there.
    page = console.get("/admin/scrm/platformaudit/")
    assert page.status_code == 200 and "/admin/scrm/organization/?q=acme" in page.content.decode()
    assert tenant_admin.get("/admin/scrm/platformaudit/").status_code == 403


@pytest.mark.django_db
def test_createsuperuser_records_its_lift(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Sl0w-Turtle!")
    call_command("createsuperuser", "--noinput", "--username", "night-operator", "--email", "op@example.com")

    [entry] = PlatformAudit.objects.all()
    assert (entry.source, entry.command, entry.actor_id) == ("command", "createsuperuser", None)
    assert "night-operator" in entry.what
    assert User.all_objects.get(username="night-operator").is_platform_operator
