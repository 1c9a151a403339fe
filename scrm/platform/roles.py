"""Roles, the model permissions each one holds, and the modules each one may use.

A preset role is a Django group whose name is the `Role` value. Each app adds its own models to ROLE_PERMISSIONS and
ships a data migration that calls `sync_role_permissions`, so the groups always match this table.

The same table is the menu of an organization's own roles (`scrm.models.CustomRole`): a custom role may grant only
what `grantable_permissions()` offers, i.e. what some preset role holds, minus `NOT_GRANTABLE`. How preset and custom
roles combine is written in `scrm.platform.access` and docs/roles.md.
"""

from scrm.models import MaskedField, Role

# app_label -> role -> {model_name: actions}. "view" lets a role read; "add/change/delete" let it configure.
CRUD = ("view", "add", "change", "delete")
ROLE_PERMISSIONS = {
    "scrm": {
        Role.OPS_ADMIN: {
            "region": CRUD, "team": CRUD, "skill": CRUD, "agentprofile": CRUD, "user": ("view", "add", "change"),
            "customer": (*CRUD, "reveal_customer_pii", "export_customer"), "tag": CRUD, "taggroup": CRUD,
            "channelidentity": ("view",),
            "customermerge": ("view",), "piireveal": ("view",), "segment": CRUD, "customerconflict": ("view",),
            "customerimport": ("view", "add", "undo_customerimport"),
            "customrole": ("view", "add", "change"),
        },
        Role.SUPERVISOR: {
            "region": ("view",), "team": ("view",), "skill": ("view",), "agentprofile": ("view", "change"),
            "user": ("view",), "tag": ("view",),
            "customer": ("view", "add", "change", "reveal_customer_pii", "export_customer"),
            "taggroup": ("view",), "channelidentity": ("view",), "customermerge": ("view", "add"),
            "segment": CRUD, "customerconflict": ("view",),
            "customerimport": ("view", "add", "undo_customerimport"),
        },
        Role.AGENT: {
            "region": ("view",), "team": ("view",), "skill": ("view",), "customer": ("view", "add", "change"),
            "tag": ("view",), "taggroup": ("view",), "channelidentity": ("view",), "segment": ("view", "add"),
        },
        Role.FINANCE: {"region": ("view",), "team": ("view",)},
        Role.VIEWER: {
            "region": ("view",), "team": ("view",), "skill": ("view",), "agentprofile": ("view",),
            "customer": ("view",), "tag": ("view",), "taggroup": ("view",),
        },
    },
}

# Which top-level modules (the left navigation) each role may open.
MODULE_ROLES = {
    "tickets": {Role.AGENT, Role.SUPERVISOR, Role.OPS_ADMIN, Role.VIEWER},
    "customers": {Role.AGENT, Role.SUPERVISOR, Role.OPS_ADMIN, Role.VIEWER},
    "forms": {Role.OPS_ADMIN, Role.SUPERVISOR},
    "settlement": {Role.FINANCE, Role.OPS_ADMIN},
    "reports": {Role.SUPERVISOR, Role.FINANCE, Role.OPS_ADMIN, Role.VIEWER},
    "settings": {Role.OPS_ADMIN},
}

# Where each role lands after signing in; the first of a user's roles in this order wins.
ROLE_HOME_MODULE = {
    Role.OPS_ADMIN: "settings",
    Role.SUPERVISOR: "tickets",
    Role.AGENT: "tickets",
    Role.FINANCE: "settlement",
    Role.VIEWER: "reports",
}


# Permissions no custom role may grant, so that a custom role can never hand out more than it holds: managing roles
# and staff accounts (the admin's user form sets groups) stays with the preset ops admin.
NOT_GRANTABLE = frozenset({
    "scrm.view_customrole", "scrm.add_customrole", "scrm.change_customrole", "scrm.delete_customrole",
    "scrm.add_user", "scrm.change_user", "scrm.delete_user",
})

# Fields each preset role sees masked whatever else it holds: finance never sees a customer's mobile, real name or
# address in full. Custom roles list theirs on the role (`CustomRole.masked_fields`).
PRESET_MASKED_FIELDS = {
    Role.FINANCE: frozenset({MaskedField.MOBILE, MaskedField.REAL_NAME, MaskedField.ADDRESS}),
}

# The permission that lets a role see a field in full (a masked field needs it AND no role that masks it). Order
# amounts and bank details have none yet: they are shown in full unless a held role masks them (settlement).
FIELD_REVEAL_PERMISSION = {
    MaskedField.MOBILE: "scrm.reveal_customer_pii",
    MaskedField.REAL_NAME: "scrm.reveal_customer_pii",
    MaskedField.ADDRESS: "scrm.reveal_customer_pii",
    MaskedField.ORDER_AMOUNT: None,
    MaskedField.BANK_DETAILS: None,
}


def permission_codename(model, action):
    """An action with an underscore is a custom permission's full codename ("reveal_customer_pii")."""
    return action if "_" in action else f"{action}_{model}"


def grantable_permissions():
    """What a custom role may grant: {app_label: {model: [codename, ...]}}, the union over the preset roles of
    ROLE_PERMISSIONS, without NOT_GRANTABLE, in the table's order."""
    offered = {}
    for app_label, table in ROLE_PERMISSIONS.items():
        for per_role in table.values():
            for model, actions in per_role.items():
                codenames = offered.setdefault(app_label, {}).setdefault(model, [])
                for action in actions:
                    codename = permission_codename(model, action)
                    if codename not in codenames and f"{app_label}.{codename}" not in NOT_GRANTABLE:
                        codenames.append(codename)
    return {app: {model: codes for model, codes in models.items() if codes} for app, models in offered.items()}


def grantable_permission_names():
    """The same as "app_label.codename" strings."""
    return {f"{app}.{code}" for app, models in grantable_permissions().items()
            for codes in models.values() for code in codes}


def register_role_permissions(app_label, table):
    """Other apps add their rows to ROLE_PERMISSIONS from their AppConfig.ready() (the core app imports none of
    them): `register_role_permissions("tickets", {Role.AGENT: {"ticket": ("view", "change")}, ...})`."""
    ROLE_PERMISSIONS[app_label] = table


def sync_role_permissions(apps, app_label):
    """Create the role groups and grant them exactly the permissions ROLE_PERMISSIONS lists for `app_label`.

    Called from data migrations with the historical `apps`; permissions of `app_label` not listed are revoked
    from the role groups, so the table stays the single source of truth.
    """
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    if not getattr(app_config, "models_module", None):
        app_config.models_module = True  # historical app configs have none; create_permissions needs one
    create_permissions(app_config, verbosity=0, apps=apps)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = {
            permission_codename(model, action)
            for model, actions in ROLE_PERMISSIONS.get(app_label, {}).get(role, {}).items()
            for action in actions
        }
        current = group.permissions.filter(content_type__app_label=app_label)
        group.permissions.remove(*[p for p in current if p.codename not in wanted])
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=wanted))


def sync_all_role_permissions(apps=None):
    """Bring every role group in line with ROLE_PERMISSIONS (live registry by default): for tests that truncate
    tables, and for `manage.py sync_roles` after editing the table."""
    if apps is None:
        from django.apps import apps
    for app_label in ROLE_PERMISSIONS:
        sync_role_permissions(apps, app_label)
