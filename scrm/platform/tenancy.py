"""Tenancy: every business row belongs to one Organization, and queries outside an open scope raise.

The guard is django-scopes: tenant models get a manager that filters by the organization of the open scope and
raises `ScopeError` when no scope is open. Code opens a scope explicitly:

- a web request: `TenantScopeMiddleware` (from the signed-in user) and `TenantScopedAPIMixin` (after DRF auth);
- a Celery task: `with tenant_scope(row.organization):` from the row it was given;
- a management command: from its `--organization` argument.

Only platform-level code (migrations, the platform operator's admin, cross-tenant maintenance) calls
`platform_scope()`, which lifts the guard visibly.

A scope is one `with` block, and work starts with none open (`assert_no_scope_open`). The guard covers reads
(including a tenant queryset used as a subquery), writes (a row of another organization is refused), raw SQL
(`Manager.raw()` is refused; `tenant_sql()` binds the organization) and many-to-manys (`TenantManyToManyField`).
"""

import logging
import re
import weakref
from contextlib import ContextDecorator

from django.db import connection, models
from django.db.models.fields.related_descriptors import ManyToManyDescriptor
from django.db.models.sql import Query
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopeError, get_scope
from django_scopes.state import state as _state

logger = logging.getLogger(__name__)

__all__ = [
    "ScopeError", "TenantManager", "TenantModel", "TenantQuerySet", "assert_no_scope_open", "current_organization_id",
    "platform_scope", "scope_is_open", "tenant_scope", "tenant_bulk_update", "tenant_sql", "TenantManyToManyField",
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
_OTHER_ORGANIZATION = (
    "A row of organization {row} of {model} was written in the scope of organization {scope}: a tenant scope writes "
    "only its own organization's rows."
)
_NO_RAW = (
    "{model}.objects.raw() bypasses the tenant scope: use scrm.platform.tenancy.tenant_sql(), which binds the "
    "organization."
)


def _check_write(model, organization_ids):
    """A write to a tenant table needs a scope, and in a tenant scope only that organization's rows."""
    state = get_scope()
    if not state.get("_enabled", True):
        return  # the platform scope: any organization
    scope_org = state.get("organization")
    if scope_org is None:
        raise ScopeError(_NO_SCOPE.format(model=model.__name__))
    for organization_id in organization_ids:
        if organization_id != scope_org:
            raise ScopeError(_OTHER_ORGANIZATION.format(row=organization_id, model=model.__name__, scope=scope_org))


class TenantQuery(Query):
    """The SQL query of a tenant queryset, which carries its scope state when it is used as a subquery.

    `Subquery()`, `Exists()` and `pk__in=<queryset>` take the query out of its queryset. One built outside any
    scope (*pending*) takes the organization filter of the scope open when the outer query is compiled, and
    refuses to compile when none is open, as its queryset would refuse to run.
    """

    scope_pending = False

    def as_sql(self, compiler, connection):  # only ever called for a subquery
        if self.scope_pending:
            state = get_scope()
            if state.get("_enabled", True):
                organization_id = state.get("organization")
                if organization_id is None or self.combinator:
                    raise ScopeError(_NO_SCOPE.format(model=self.model.__name__))
                scoped = self.clone()
                scoped.scope_pending = False
                scoped.add_q(models.Q(organization_id=organization_id))
                return scoped.as_sql(compiler, connection)
        return super().as_sql(compiler, connection)


class TenantQuerySet(models.QuerySet):
    """A queryset that is filtered to the open organization scope, and refuses to run when none is open.

    Unlike django-scopes' own manager, building a queryset outside a scope is allowed (django-filter, form fields
    and class attributes build them at import); such a queryset is *pending*. A pending queryset takes the scope's
    organization filter when it is cloned (`.all()`, `.filter()`, ...) inside a scope, which is what forms and
    filtersets do per request, and raises `ScopeError` if it is run while still pending. The original is never
    changed, so a queryset built at import can never keep one tenant's filter for the next request. Used as a
    subquery, it takes the scope of the outer query (see `TenantQuery`).

    Writes refuse a row of another organization than the open scope's (`create`, `get_or_create`,
    `update_or_create` through `Model.save`; `bulk_create`, `bulk_update`, `update(organization=...)` here), and
    `raw()` is refused: raw SQL goes through `tenant_sql()`.
    """

    def __init__(self, model=None, query=None, using=None, hints=None):
        super().__init__(model=model, query=query if query is not None else TenantQuery(model), using=using,
                         hints=hints)

    @property
    def _scope_pending(self):
        return getattr(self._query, "scope_pending", False)

    @_scope_pending.setter
    def _scope_pending(self, value):
        self._query.scope_pending = value

    def _clone(self):
        clone = super()._clone()
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
    _update = _guarded("_update")
    delete = _guarded("delete")
    iterator = _guarded("iterator")
    explain = _guarded("explain")
    del _guarded

    def update(self, **kwargs):
        self._check_scope()
        for name in ("organization", "organization_id"):
            if name in kwargs:
                value = kwargs[name]
                _check_write(self.model, [getattr(value, "pk", value)])
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _check_write(self.model, {obj.organization_id for obj in objs})
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        _check_write(self.model, {obj.organization_id for obj in objs})
        return super().bulk_update(objs, fields, *args, **kwargs)

    def raw(self, *args, **kwargs):
        raise ScopeError(_NO_RAW.format(model=self.model.__name__))

    # A queryset combined with a pending one: the pending one takes the scope open now, or the combination would
    # OR an unfiltered WHERE into a scoped one. Both pending: the result is pending and takes a scope as a whole.
    def _scoped_operand(self, other):
        if isinstance(other, TenantQuerySet) and other._scope_pending and not self._scope_pending:
            other = other._chain()
            other._check_scope()
        return other

    def __and__(self, other):
        return super().__and__(self._scoped_operand(other))

    def __or__(self, other):
        return super().__or__(self._scoped_operand(other))

    def __xor__(self, other):
        return super().__xor__(self._scoped_operand(other))

    def _combinator_query(self, combinator, *other_qs, all=False):  # noqa: A002 - Django's signature
        others = []
        for other in other_qs:
            if isinstance(other, TenantQuerySet) and other._scope_pending:
                other = other._chain()
                other._check_scope()
            others.append(other)
        return super()._combinator_query(combinator, *others, all=all)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    def get_queryset(self):
        queryset = super().get_queryset()
        queryset._scope_pending = True
        queryset._apply_scope()
        return queryset


class _TenantManyToManyDescriptor(ManyToManyDescriptor):
    """The relation's manager fills the through row's organization from the instance it belongs to."""

    @cached_property
    def related_manager_cls(self):
        base = super().related_manager_cls

        class TenantManyRelatedManager(base):
            def _through_defaults(self, through_defaults):
                return {"organization_id": self.instance.organization_id, **(through_defaults or {})}

            def add(self, *objs, through_defaults=None):
                for obj in objs:
                    if isinstance(obj, models.Model) and obj.organization_id != self.instance.organization_id:
                        raise ScopeError(_OTHER_ORGANIZATION.format(
                            row=obj.organization_id, model=type(obj).__name__, scope=self.instance.organization_id))
                return super().add(*objs, through_defaults=self._through_defaults(through_defaults))

            def set(self, objs, *, clear=False, through_defaults=None):
                return super().set(objs, clear=clear, through_defaults=self._through_defaults(through_defaults))

            def create(self, *, through_defaults=None, **kwargs):
                return super().create(through_defaults=self._through_defaults(through_defaults), **kwargs)

            def get_or_create(self, *, through_defaults=None, **kwargs):
                return super().get_or_create(through_defaults=self._through_defaults(through_defaults), **kwargs)

            def update_or_create(self, *, through_defaults=None, **kwargs):
                return super().update_or_create(through_defaults=self._through_defaults(through_defaults), **kwargs)

        return TenantManyRelatedManager


class TenantManyToManyField(models.ManyToManyField):
    """A many-to-many between two tenant models, through a `TenantModel` (organization first in its unique
    constraint). `add()`, `set()` and `create()` on either side fill the through row's organization from the
    instance, so forms, the admin and services use it like a plain many-to-many. Migrations see a plain
    ManyToManyField."""

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.name, _TenantManyToManyDescriptor(self.remote_field, reverse=False))

    def contribute_to_related_class(self, cls, related):
        super().contribute_to_related_class(cls, related)
        if not self.remote_field.hidden and not related.related_model._meta.swapped:
            setattr(cls, related.accessor_name, _TenantManyToManyDescriptor(self.remote_field, reverse=True))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ManyToManyField", args, kwargs


# The statements prepared on each database session (the raw connection: a reconnect starts with none).
_prepared = weakref.WeakKeyDictionary()
_PARAMETER = re.compile(r"%\((\w+)\)s")


def _prepare(name, sql):
    """The EXECUTE of `sql` prepared on this database session as `name` (once per session), with the same named
    parameters: `PREPARE name AS <sql with $1, $2 ...>`, so PostgreSQL parses and plans it once and reuses the plan.
    Every parameter must carry its type (`%(now)s::timestamptz`) where the statement does not give it one."""
    names = list(dict.fromkeys(_PARAMETER.findall(sql)))
    connection.ensure_connection()
    done = _prepared.setdefault(connection.connection, set())
    if name not in done:
        positional = _PARAMETER.sub(lambda m: f"${names.index(m.group(1)) + 1}", sql)
        with connection.cursor() as cursor:
            cursor.execute(f"PREPARE {name} AS {positional}")  # prepared statements outlive a rollback
        done.add(name)
    return f"EXECUTE {name}({', '.join(f'%({n})s' for n in names)})"


def tenant_sql(sql, params=None, *, organization, values=None, template=None, page_size=1000, prepared_as=None):
    """Run one raw SQL statement on tenant tables for one organization; return the rows it returns (else []).

    Raw SQL bypasses the tenant manager, so this is its one way in (`Manager.raw()` of a tenant model is refused).
    The statement names its organization only as `%(organization)s`, bound here from `organization`; other
    parameters are named too (`params`, a dict). It is refused when it does not name its organization, or when a
    scope of another organization is open. `values`: rows for the statement's one `VALUES %(values)s` list, each
    rendered with `template` (`"(%s, %s::date)"`), sent `page_size` rows per statement.

    `prepared_as`: a name under which the statement is prepared once per database session (see `_prepare`), for
    the few statements run thousands of times a second (a callback's INSERT), where planning costs as much as
    executing. Not with `values`.
    """
    organization_id = getattr(organization, "pk", organization)
    if not isinstance(organization_id, int):
        raise ScopeError("tenant_sql() needs the organization (or its id) the statement is limited to.")
    if "%(organization)s" not in sql:
        raise ScopeError("A tenant_sql() statement must limit itself to its organization with %(organization)s.")
    params = dict(params or {})
    if "organization" in params or "values" in params:
        raise ScopeError("tenant_sql() binds %(organization)s and %(values)s itself.")
    scope_org = current_organization_id()
    if scope_org is not None and scope_org != organization_id:
        raise ScopeError(_OTHER_ORGANIZATION.format(row=organization_id, model="tenant_sql", scope=scope_org))
    params["organization"] = organization_id
    if prepared_as is not None:
        if values is not None:
            raise ValueError("a prepared statement takes no VALUES list")
        sql = _prepare(prepared_as, sql)
    rows = []
    with connection.cursor() as cursor:
        if values is None:
            statements = [sql]
        else:
            values = list(values)
            statements = []
            for start in range(0, len(values), page_size):
                page = values[start:start + page_size]
                # One mogrify per page (a call per row costs more than the statement for thousands of rows).
                rendered = cursor.mogrify(",".join([template] * len(page)), [value for row in page for value in row])
                # Rendered literals, escaped for the parameter pass that binds the named parameters.
                statements.append(sql.replace("%(values)s", rendered.decode().replace("%", "%%")))
        for statement in statements:
            cursor.execute(statement, params)
            if cursor.description is not None:
                rows.extend(cursor.fetchall())
    return rows


def typed_values(fields, rows):
    """The row `template` and prepared rows of model field values for `tenant_sql`'s `%(values)s`: each value
    prepared as its field saves it (a model instance as its key) and cast to the column's type, so that a NULL, a
    date or a decimal keeps its type in a `VALUES` list."""
    casts = [(field.target_field if field.is_relation else field).cast_db_type(connection) for field in fields]
    template = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    prepared = [[field.get_db_prep_save(value.pk if isinstance(value, models.Model) else value, connection)
                 for field, value in zip(fields, row, strict=True)]
                for row in rows]
    return template, prepared


def tenant_bulk_update(objs, fields, *, organization):
    """Write `fields` of model instances of one organization in one `UPDATE ... FROM (VALUES ...)` statement per
    1,000 rows, through `tenant_sql`: what `bulk_update` does, without its `CASE WHEN` per row and field (whose
    building costs milliseconds of Python per row). Plain values only (no expressions); returns the rows updated."""
    objs = list(objs)
    if not objs:
        return 0
    organization_id = getattr(organization, "pk", organization)
    meta = objs[0]._meta
    _check_write(objs[0].__class__, {obj.organization_id for obj in objs})
    if any(obj.organization_id != organization_id for obj in objs):
        raise ScopeError(_OTHER_ORGANIZATION.format(row=next(obj.organization_id for obj in objs
                                                             if obj.organization_id != organization_id),
                                                    model=objs[0].__class__.__name__, scope=organization_id))
    model_fields = [meta.get_field(name) for name in fields]
    pk_field = meta.pk
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in model_fields]
    template, rows = typed_values([pk_field, *model_fields],
                                  [[obj.pk, *(getattr(obj, field.attname) for field in model_fields)] for obj in objs])
    assignments = ", ".join(f"{column} = v.c{index}" for index, column in enumerate(columns))
    names = ", ".join(f"c{index}" for index in range(len(columns)))
    updated = tenant_sql(
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM (VALUES %(values)s) AS v(pk, {names}) "  # noqa: S608 - our names
        f"WHERE t.organization_id = %(organization)s AND t.{quote(pk_field.column)} = v.pk RETURNING 1",
        organization=organization_id, values=rows, template=template)
    return len(updated)


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

    def save_base(self, *args, **kwargs):
        # The guard of every single-row write: create(), get_or_create(), update_or_create() and save() all land
        # here. Fixtures (`loaddata`) call Model.save_base directly and are not tenant code.
        _check_write(type(self), [self.organization_id])
        return super().save_base(*args, **kwargs)
