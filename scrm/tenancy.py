"""Tenancy: every business row belongs to one Organization, and queries outside an open scope raise.

The guard is django-scopes: tenant models get a manager that filters by the organization of the open scope and
raises `ScopeError` when no scope is open. Code opens a scope explicitly:

- a web request: `TenantScopeMiddleware` (from the signed-in user) and `TenantScopedAPIMixin` (after DRF auth);
- a Celery task: `with tenant_scope(row.organization):` from the row it was given;
- a management command: from its `--organization` argument.

Only platform-level code (migrations, the platform operator's admin, cross-tenant maintenance) calls
`platform_scope()`, which lifts the guard visibly.
"""

import logging
from contextlib import ContextDecorator

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopeError, get_scope
from django_scopes.state import state as _state

logger = logging.getLogger(__name__)

__all__ = [
    "ScopeError", "TenantManager", "TenantModel", "TenantQuerySet", "assert_no_scope_open", "current_organization_id",
    "platform_scope", "scope_is_open", "tenant_scope",
]


class _Scope(ContextDecorator):
    """One `with` block of scope: sets the scope on enter and puts the previous one back on exit.

    A class rather than a generator on purpose: a generator-based context manager that is never exited (a view
    that raised before its cleanup ran) is finalized by the garbage collector later, at any moment, and its
    `finally` then restores its stale scope inside whatever request is running on that thread.
    """

    def __init__(self, **values):
        self._values = values
        self._previous = []

    def _recreate_cm(self):
        return type(self)(**self._values)  # as a decorator: one instance per call, safe across threads

    def __enter__(self):
        previous = _state.get()
        self._previous.append(previous)
        _state.set({**(previous or {}), "_enabled": True, **self._values})
        return self

    def __exit__(self, *exc):
        _state.set(self._previous.pop())
        return False


def tenant_scope(organization):
    """Open the scope of one organization. A missing organization is an error, never 'all organizations'."""
    if organization is None:
        raise ScopeError("tenant_scope() needs an organization; use platform_scope() for cross-tenant work.")
    org_id = organization if isinstance(organization, int) else organization.pk
    return _Scope(organization=org_id)


def platform_scope():
    """Lift the tenant guard for platform-level code. Grep for this name to audit every cross-tenant query."""
    return _Scope(_enabled=False)


def scope_is_open():
    """Whether a tenant or the platform scope is open (in this thread or task)."""
    state = _state.get() or {}
    return state.get("organization") is not None or not state.get("_enabled", True)


NO_ORGANIZATION_TITLE = _("This account belongs to no organization")
NO_ORGANIZATION_PAGE = _(
    "Product pages show one organization's data, and this account has none: a platform operator works in the "
    "platform console."
)
NO_ORGANIZATION_API = _(
    "This account belongs to no organization, so it cannot use the API: a platform operator works in the platform "
    "console (/admin/)."
)

SCOPE_LEAKED = "A tenant scope was still open at the start of {where}: it leaked from earlier work on this thread."


def assert_no_scope_open(where):
    """Every request and every task starts with no scope open. One found open leaked from earlier work (a bug):
    it is closed here, so the work after this one starts clean, and reported by raising `ScopeError`."""
    if scope_is_open():
        leaked = dict(_state.get() or {})
        _state.set(None)
        logger.error("tenant scope leaked", extra={"where": where, "scope": leaked})
        raise ScopeError(SCOPE_LEAKED.format(where=where))


def current_organization_id():
    """The organization id of the open scope, or None when none (or the platform scope) is open."""
    state = get_scope()
    if not state.get("_enabled", True):
        return None
    return state.get("organization")


_NO_SCOPE = "A query on {model} ran with no tenant scope open: open tenant_scope(organization) or platform_scope()."


class TenantQuerySet(models.QuerySet):
    """A queryset that is filtered to the open organization scope, and refuses to run when none is open.

    Unlike django-scopes' own manager, building a queryset outside a scope is allowed (django-filter, form fields
    and class attributes build them at import); such a queryset is *pending*. A pending queryset takes the scope's
    organization filter when it is cloned (`.all()`, `.filter()`, ...) inside a scope, which is what forms and
    filtersets do per request, and raises `ScopeError` if it is run while still pending. The original is never
    changed, so a queryset built at import can never keep one tenant's filter for the next request.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._scope_pending = False

    def _clone(self):
        clone = super()._clone()
        clone._scope_pending = self._scope_pending
        if clone._scope_pending:
            clone._apply_scope()
        return clone

    def _apply_scope(self):
        state = get_scope()
        if not state.get("_enabled", True):
            self._scope_pending = False  # the platform scope: every organization
        elif state.get("organization") is not None:
            if self.query.is_sliced:
                raise ScopeError(_NO_SCOPE.format(model=self.model.__name__))
            self.query.add_q(models.Q(organization_id=state["organization"]))
            self._scope_pending = False

    def _check_scope(self):
        if self._scope_pending:
            raise ScopeError(_NO_SCOPE.format(model=self.model.__name__))

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def _guarded(name):  # noqa: N805 - builds the guarded evaluation methods below
        def method(self, *args, **kwargs):
            self._check_scope()
            return getattr(super(), name)(*args, **kwargs)

        method.__name__ = name
        return method

    count = _guarded("count")
    exists = _guarded("exists")
    contains = _guarded("contains")
    aggregate = _guarded("aggregate")
    update = _guarded("update")
    _update = _guarded("_update")
    delete = _guarded("delete")
    iterator = _guarded("iterator")
    explain = _guarded("explain")
    del _guarded


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    def get_queryset(self):
        queryset = super().get_queryset()
        queryset._scope_pending = True
        queryset._apply_scope()
        return queryset


class TenantModel(models.Model):
    """Base of every business table: the organization foreign key and the scoped default manager.

    Subclasses lead their unique constraints and main indexes with `organization` so the table can later be
    distributed by organization without a schema change.
    """

    organization = models.ForeignKey(
        "scrm.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )

    objects = TenantManager()

    class Meta:
        abstract = True
        base_manager_name = "objects"
