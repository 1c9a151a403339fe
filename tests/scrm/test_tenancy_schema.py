"""The schema keeps the tenancy rule of DESIGN.md: every table of tenant data is a TenantModel, and its unique
constraints and main indexes lead with organization_id (so the database can be distributed by organization
without a schema change). Read from the models and from PostgreSQL's catalog, so an index made by hand in a
migration counts too. What must be exempt is listed below with its reason; nothing else is.

Third-party tables (Django's auth, sessions and admin log, guardian, axes, authtoken) are not ours to shape and
are not checked."""

import pytest
from django.apps import apps
from django.db import connection

from scrm.platform.tenancy import TenantModel

OUR_APPS = {"scrm", "forms_builder", "notifications", "tickets", "sla", "settlement", "channels_ingest"}

# Models of our apps that are not tenant tables, and why.
NOT_TENANT = {
    "scrm.Organization": "the tenants themselves",
    "scrm.PlatformAudit": "the platform's own record of who lifted the tenant guard (the platform console, maintenance "
                          "commands): it belongs to no organization",
    "scrm.User_groups": "Django's relation of the User to its roles (global groups): the admin and ModelBackend edit "
                        "and read it as Django's own many-to-many, and a platform operator's rows have no organization",
    "scrm.User_user_permissions": "Django's relation of the User to global permissions, as User_groups",
}

# Unique constraints and indexes of tenant tables that do not lead with organization_id, and why.
NOT_LEADING = {
    "scrm_user.username": "usernames are unique across the platform: sign-in asks for no organization, and a platform "
                          "operator has none (looked up through User.all_objects)",
    "scrm_agentprofile.user_id": "one profile per user; a user belongs to one organization",
    "channels_ingest_channelaccount.slug": "callback URLs carry a global slug, looked up before any organization is "
                                            "known",
    **{f"{table}.{index}": "the outbox's sweeper takes the due rows of every organization by time, through this "
                           "partial index of rows still waiting (cross-tenant maintenance: scrm.platform.outbox)"
       for table, index in [("scrm_customerimport", "custimport_due_idx"),
                            ("scrm_customerexport", "custexport_due_idx"),
                            ("notifications_notificationdelivery", "notificationdelivery_due_idx"),
                            ("channels_ingest_inboundevent", "inboundevent_due_idx"),
                            ("channels_ingest_inboundmedia", "inboundmedia_due_idx"),
                            ("channels_ingest_outboundmessage", "outbound_due_idx"),
                            ("channels_ingest_shoporderfetch", "shoporderfetch_due_idx"),
                            ("settlement_statementimport", "stmtimport_due_idx"),
                            ("settlement_reconciliationrun", "reconrun_due_idx"),
                            ("settlement_settlementrun", "settlementrun_due_idx"),
                            ("forms_builder_formwebhookdelivery", "formhook_due_idx")]},
    "channels_ingest_inboundevent.inboundevent_comment_idx": "the foreign key's own index, as Django makes it, but "
                                                             "partial: a callback stores the event with no ticket "
                                                             "message, so its INSERT writes no entry here",
    "tickets_ticket.ticket_sla_sweep_idx": "the SLA sweep takes due tickets of every organization by time "
                                           "(cross-tenant maintenance)",
    "forms_builder_formsubmission.formsub_data_gin": "a GIN index (jsonb_path_ops) of the answers for the filters "
                                                     "on any field: GIN cannot lead with a btree column without "
                                                     "btree_gin, and every such filter runs inside one form's (or one "
                                                     "ticket type's) rows of one organization, found first through "
                                                     "formsub_org_form_at_idx",
}


def _our_models():
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.app_label in OUR_APPS]


def test_every_table_of_tenant_data_is_a_tenant_model():
    offenders = [m._meta.label for m in _our_models()
                 if not issubclass(m, TenantModel) and m._meta.label not in NOT_TENANT]
    assert offenders == [], f"not TenantModel (inherit it, or exempt with a reason): {offenders}"
    stale = set(NOT_TENANT) - {m._meta.label for m in _our_models()}
    assert not stale, f"exemptions of models that no longer exist: {stale}"


def _exempt(table, *names):
    return any(f"{table}.{name}" in NOT_LEADING for name in names)


def test_the_unique_constraints_and_indexes_declared_on_tenant_models_lead_with_the_organization():
    offenders = []
    for model in _our_models():
        if not issubclass(model, TenantModel):
            continue
        table, opts = model._meta.db_table, model._meta
        declared = [(c.name, list(c.fields)) for c in opts.constraints if getattr(c, "fields", None)]
        declared += [("unique_together", list(fields)) for fields in opts.unique_together]
        declared += [(i.name, [f.lstrip("-") for f in i.fields]) for i in opts.indexes if i.fields]
        for name, fields in declared:
            if fields[0] != "organization" and not _exempt(table, name):
                offenders.append(f"{opts.label}.{name} {fields}")
        for field in opts.local_fields:
            if field.primary_key or _exempt(table, field.column, field.name):
                continue
            if field.unique:
                offenders.append(f"{opts.label}.{field.name} (unique)")
            elif field.db_index and not field.is_relation:
                offenders.append(f"{opts.label}.{field.name} (db_index: index it with the organization instead)")
    assert offenders == [], "lead with organization (or exempt with a reason):\n" + "\n".join(offenders)


_INDEXES = """
    SELECT ix.relname, i.indisunique,
           array(SELECT coalesce(a.attname, '<expression>')
                 FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                 LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                 ORDER BY k.n)
    FROM pg_index i
    JOIN pg_class ix ON ix.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    WHERE t.relname = %s AND t.relnamespace = 'public'::regnamespace AND NOT i.indisprimary
"""


@pytest.mark.django_db
def test_the_indexes_in_the_database_of_tenant_tables_lead_with_the_organization():
    """Every unique index, and every index but the one Django gives each foreign key (and its `_like` twin), of a
    tenant table starts with organization_id in PostgreSQL itself."""
    offenders = []
    with connection.cursor() as cursor:
        for model in _our_models():
            if not issubclass(model, TenantModel):
                continue
            table = model._meta.db_table
            foreign_keys = {f.column for f in model._meta.local_fields if f.is_relation}
            cursor.execute(_INDEXES, [table])
            for name, unique, columns in cursor.fetchall():
                if columns[0] == "organization_id":
                    continue
                if not unique and len(columns) == 1 and columns[0] in foreign_keys:
                    continue  # Django's index of a foreign key: joins, not the table's access path
                if _exempt(table, name, *columns[:1]):
                    continue
                if name.endswith("_like") and _exempt(table, columns[0]):
                    continue
                offenders.append(f"{table}.{name} {'UNIQUE ' if unique else ''}{columns}")
    assert offenders == [], "lead with organization_id (or exempt with a reason):\n" + "\n".join(offenders)
