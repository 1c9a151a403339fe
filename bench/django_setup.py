"""Django for a scenario that works in-process (data generation, query capture, timing a service)."""

import os


def setup_django():
    """Configure and set up Django: the project's settings, DEBUG's development secret key (nothing in-process
    serves HTTP), no HTTPS redirect for the test client. A scenario's own environment wins."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrm.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    import django

    django.setup()


def organization_delete(organization, tables):
    """Delete a run's organization and its rows of `tables` (children first) in plain SQL, in one transaction: the
    ORM's cascade would visit every app's tables for millions of rows."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for table in (*tables, "scrm_user"):
            cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s", [organization.pk])  # noqa: S608
        cursor.execute("DELETE FROM scrm_organization WHERE id = %s", [organization.pk])
