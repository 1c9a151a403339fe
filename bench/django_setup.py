"""Django for a scenario that works in-process (data generation, query capture, timing a service)."""

import os


def setup_django():
    """Configure and set up Django: the project's settings, DEBUG's development secret key (nothing in-process
    serves HTTP), no HTTPS redirect for the test client, whose host (testserver) is allowed. A scenario's own
    environment wins."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrm.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    import django

    django.setup()
    from django.conf import settings

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def organization_delete(organization):
    """Delete a run's organization and every row that belongs to it, in plain SQL, in one transaction: the ORM's
    cascade would visit every app's tables for millions of rows, and a list of tables kept by hand goes stale with
    the next model.

    A row belongs to it when its table has a foreign key to the organization (every tenant model, and users), or
    when it points at such a row from a table that does not (many-to-many links, per-user rows of third-party
    apps). The foreign keys are checked at commit (Django declares them deferrable), so the order does not matter;
    a row of another table still pointing at a deleted one fails the commit, naming it."""
    from django.apps import apps
    from django.db import connection, transaction

    from scrm.models import Organization

    models = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
    owned = {m: f.column for m in models for f in m._meta.concrete_fields
             if f.is_relation and f.related_model is Organization}
    links = [(m, f.column, f.related_model) for m in models if m not in owned and m is not Organization
             for f in m._meta.concrete_fields if f.is_relation and f.related_model in owned]
    name = connection.ops.quote_name
    # Names come from the models, never from input; the organization's id is the one parameter.
    statements = [
        *(f"DELETE FROM {name(m._meta.db_table)} WHERE {name(column)} IN (SELECT id FROM "  # noqa: S608
          f"{name(target._meta.db_table)} WHERE {name(owned[target])} = %s)" for m, column, target in links),
        *(f"DELETE FROM {name(m._meta.db_table)} WHERE {name(column)} = %s" for m, column in owned.items()),  # noqa: S608
        f"DELETE FROM {name(Organization._meta.db_table)} WHERE id = %s",  # noqa: S608
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, [organization.pk])
