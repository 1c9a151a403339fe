"""Writes of partner settlement: rules, exchange rates, partners, the service catalogue and jobs, statements.

Statements are generated from the period's sums, read in the database (one aggregate query per kind), and computed by
settlement.partner_money. A draft is regenerated in place (idempotent); reviewed, approved and paid statements are
left as they are; an approved statement never changes again: a correction is an adjustment that goes into the
partner's next statement.

The contract with reconciliation is one queryset, `reconciled_payment_lines()`: an order is settled when a
statement line classed `matched` points at it, and its channel fee is that line's fee.
"""

import re
from calendar import monthrange
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.text import capfirst

from scrm.customers.phones import InvalidMobile, mask_mobile, mask_name, normalize_mobile
from scrm.models import SettingsChange
from scrm.models.imports import JOB_STATES
from scrm.platform import outbox
from scrm.platform.audit import settings_change_record
from scrm.platform.crypto import secret_encrypt
from scrm.platform.locks import advisory_xact_lock, advisory_xact_locks
from scrm.platform.tenancy import tenant_bulk_update, tenant_scope
from settlement import partner_errors as msg
from settlement.errors import SettlementError
from settlement.models import (
    CityTier,
    Cycle,
    ExchangeRate,
    MatchClass,
    Order,
    Partner,
    PartnerStore,
    Refund,
    RegionCityTier,
    ServiceItem,
    ServiceJob,
    ServiceJobLine,
    ServicePrice,
    SettlementAdjustment,
    SettlementRule,
    SettlementRun,
    SettlementStatement,
    SettlementStatementEvent,
    SettlementStatementLine,
    StatementLine,
)
from settlement.money_text import money_display
from settlement.partner_money import (
    TOTAL_FIELDS,
    Adjustment,
    Group,
    Inputs,
    Terms,
    lines_balance,
    money_round,
    statement_compute,
    tiers_dump,
    tiers_parse,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# What one line of a service job may count (the jobs page and the API alike): a hundredth up to ten thousand.
JOB_QUANTITY_MIN, JOB_QUANTITY_MAX = Decimal("0.01"), Decimal("10000")
JOB_QUANTITY_PLACES = 2
# The bank's payment reference of a paid statement (SettlementStatement.payment_reference).
PAYMENT_REFERENCE_MAX_LENGTH = 64
RATE_LOOKBACK_DAYS = 7  # a rate of a weekend or holiday is the last published before it
RUN_KIND = "settlement_run"
RUN_CHUNK = 500  # partners whose period sums a run reads at once
Status = SettlementStatement.Status
Event = SettlementStatementEvent.Action
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_ACCOUNT = re.compile(r"^[0-9 ]+$")

__all__ = [
    "audit_record", "audit_snapshot", "city_tiers_set", "exchange_rate_set", "partner_save", "period_bounds",
    "reconciled_payment_lines", "rule_create", "rule_for", "RuleBook",
    "rule_update", "service_job_complete", "service_job_confirm", "service_job_from_ticket", "service_price_set",
    "settlement_run_execute", "settlement_run_request", "statement_adjust", "statement_approve",
    "statement_generate", "statements_generate", "statement_mark_paid", "statement_reopen", "statement_review",
]


# --- The contract with reconciliation ------------------------------------------------------------------------------


def reconciled_payment_lines():
    """The statement lines that settle an order: payments the reconciliation matched to a ledger order. An order is
    "reconciled" when one of these points at it; its channel fee is the line's fee."""
    return StatementLine.objects.filter(match__match_class=MatchClass.MATCHED, kind=StatementLine.Kind.PAYMENT,
                                        match__order__isnull=False)


# --- Small checks ---------------------------------------------------------------------------------------------------


def _currency(value):
    value = (value or "").strip().upper()
    if not _CURRENCY.match(value):
        raise SettlementError(msg.MSG_BAD_CURRENCY % {"value": value or "—"})
    return value


def _label(model, field):
    """A field's name as the page shows it (税率, not "tax rate"), for messages that name it."""
    return capfirst(model._meta.get_field(field).verbose_name)


def _decimal(value, name, *, fraction=False):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise SettlementError(msg.MSG_NEGATIVE % {"name": name}) from None
    if not number.is_finite() or number < 0:
        raise SettlementError(msg.MSG_NEGATIVE % {"name": name})
    if fraction and number >= 1:
        raise SettlementError(msg.MSG_RATE_NOT_FRACTION % {"name": name})
    return number


def _local_bounds(start, end):
    """The moments of a local (Asia/Shanghai) date range, end exclusive."""
    return (datetime.combine(start, time.min, tzinfo=SHANGHAI),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=SHANGHAI))


def period_bounds(cycle, day):
    """The period of `cycle` that holds `day`: its Monday to Sunday, its month, or the day itself."""
    if cycle == Cycle.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if cycle == Cycle.MONTHLY:
        return day.replace(day=1), day.replace(day=monthrange(day.year, day.month)[1])
    return day, day


def _event(statement, action, actor=None, **detail):
    SettlementStatementEvent.objects.create(organization_id=statement.organization_id, statement=statement,
                                            action=action, by=actor, detail=detail)


@transaction.atomic
def statement_exported(*, statement, actor, file_format):
    """Record that `actor` took the statement out of the product (the file finance sends the partner): its history
    says who exported what and when."""
    _event(statement, Event.EXPORTED, actor, format=file_format)


@transaction.atomic
def statements_exported(*, statements, actor, file_format):
    """Record on each statement a file holds (the period summary, the bank payment file with full account numbers)
    that `actor` took it: each statement's history says who took which file and when. Called once the file is made,
    so an export refused or failed records nothing."""
    SettlementStatementEvent.objects.bulk_create([
        SettlementStatementEvent(organization_id=statement.organization_id, statement=statement,
                                 action=Event.EXPORTED, by=actor, detail={"format": file_format})
        for statement in statements])


# --- The settings audit trail of rules, rates, partners, the catalogue and city tiers ---------------------------------

# What each configuration row records of itself in the audit trail (scrm.platform.audit): the fields a person changes.
# A partner's bank account and account holder are recorded masked (as the pages show them), never in full.
AUDITED_FIELDS = {
    SettlementRule: ("name", "region", "partner", "valid_from", "currency", "conversion_date", "tax_rate",
                     "prices_include_tax", "cycle", "commission_rate", "rebate_tiers", "tier_mode",
                     "minimum_payout", "rounding", "self_approval_limit"),
    ExchangeRate: ("date", "base", "quote", "rate", "source"),
    Partner: ("code", "name", "kind", "region", "contact_name", "contact_mobile", "contact_email", "bank_name",
              "bank_account_name", "bank_account_masked", "active"),
    ServiceItem: ("code", "name", "kind", "unit", "active"),
    ServicePrice: ("item", "region", "tier", "currency", "price", "material_cost", "technician_payout"),
    RegionCityTier: ("region", "tier"),
}
def _mask_contact_mobile(value):
    """A partner's contact mobile as typed (not always a valid number): masked like a customer's when it parses,
    else every character starred."""
    try:
        return mask_mobile(normalize_mobile(value))
    except InvalidMobile:
        return "*" * len(value)


_MASKED = {"bank_account_name": mask_name, "contact_mobile": _mask_contact_mobile}


def _audit_value(instance, name):
    value = getattr(instance, name)
    if name in _MASKED:
        return _MASKED[name](value) if value else ""
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    return str(value)


def audit_snapshot(instance):
    """The audited fields of a configuration row as JSON values (None for a row not yet saved)."""
    if instance is None or instance.pk is None:
        return None
    return {name: _audit_value(instance, name) for name in AUDITED_FIELDS[type(instance)]}


def audit_record(instance, before, *, actor=None, deleted=False):
    """One row of the settings audit trail for a configuration row just written (or about to be deleted), with the
    fields that changed ({field: {"before", "after"}}); nothing when nothing changed. Inside the writing
    transaction."""
    # Read back as stored, so that a value typed as "0.05" and stored as 0.0500 is no change.
    after = None if deleted else audit_snapshot(type(instance).objects.get(pk=instance.pk))
    if before == after:
        return None
    names = AUDITED_FIELDS[type(instance)]
    detail = {name: {"before": (before or {}).get(name), "after": (after or {}).get(name)} for name in names
              if (before or {}).get(name) != (after or {}).get(name)}
    action = (SettingsChange.Action.DELETED if deleted else SettingsChange.Action.CREATED if before is None
              else SettingsChange.Action.CHANGED)
    return settings_change_record(instance=instance, action=action, by=actor, detail=detail)


# --- Rules -----------------------------------------------------------------------------------------------------------


def _rule_partners(rule):
    """The partners a rule may settle: its partner, or those of its region and below (all for a default rule)."""
    if rule.partner_id:
        return Partner.objects.filter(pk=rule.partner_id)
    if rule.region_id:
        return Partner.objects.filter(region__path__startswith=rule.region.path)
    return Partner.objects.all()


def _rule_check(rule):
    if rule.region_id and rule.partner_id:
        raise SettlementError(msg.MSG_RULE_SCOPE)
    rule.currency = _currency(rule.currency)
    rule.tax_rate = _decimal(rule.tax_rate, _label(SettlementRule, "tax_rate"), fraction=True)
    rule.commission_rate = _decimal(rule.commission_rate, _label(SettlementRule, "commission_rate"), fraction=True)
    rule.minimum_payout = _decimal(rule.minimum_payout, _label(SettlementRule, "minimum_payout"))
    rule.self_approval_limit = _decimal(rule.self_approval_limit, _label(SettlementRule, "self_approval_limit"))
    rule.rebate_tiers = tiers_dump(tiers_parse(rule.rebate_tiers))
    same_scope = SettlementRule.objects.filter(region=rule.region_id, partner=rule.partner_id,
                                               valid_from=rule.valid_from).exclude(pk=rule.pk)
    if same_scope.exists():
        raise SettlementError(msg.MSG_RULE_OVERLAP % {"date": rule.valid_from})
    locked = (SettlementStatement.objects.filter(status__in=[Status.APPROVED, Status.PAID],
                                                 period_end__gte=rule.valid_from,
                                                 partner__in=_rule_partners(rule))
              .select_related("partner").order_by("-period_end").first())
    if locked is not None:
        raise SettlementError(msg.MSG_RULE_APPROVED_PERIOD % {
            "date": rule.valid_from, "partner": locked.partner, "start": locked.period_start,
            "end": locked.period_end})


@transaction.atomic
def rule_create(*, organization, actor=None, **fields):
    """A rule from `valid_from` on. Refused (nothing written) for overlapping periods of the same scope, bad
    tiers, and a start that would reach into an approved statement's period."""
    with tenant_scope(organization):
        advisory_xact_lock("settlement-rules", organization.pk)
        rule = SettlementRule(organization=organization, created_by=actor, **fields)
        _rule_check(rule)
        try:
            with transaction.atomic():
                rule.save()
        except IntegrityError:
            raise SettlementError(msg.MSG_RULE_OVERLAP % {"date": rule.valid_from}) from None
        audit_record(rule, None, actor=actor)
        return rule


@transaction.atomic
def rule_update(*, rule, actor=None, **fields):
    """Change a rule no approved statement used (else refused: a change is a new rule)."""
    with tenant_scope(rule.organization_id):
        advisory_xact_lock("settlement-rules", rule.organization_id)
        rule = SettlementRule.objects.select_for_update().get(pk=rule.pk)
        if rule.statements.filter(status__in=[Status.APPROVED, Status.PAID]).exists():
            raise SettlementError(msg.MSG_RULE_IN_USE)
        before = audit_snapshot(rule)
        for name, value in fields.items():
            setattr(rule, name, value)
        _rule_check(rule)
        rule.save()
        audit_record(rule, before, actor=actor)
        return rule


class RuleBook:
    """Every rule started by `day`, read once (one query), and the rule of each partner resolved in memory: its own
    latest rule, else that of its region or the nearest region above it (the region tree walked up its path), else
    the organization's default rule."""

    def __init__(self, day):
        self.own, self.scoped = {}, {}
        for rule in SettlementRule.objects.filter(valid_from__lte=day).select_related("region"):
            if rule.partner_id:
                table, key = self.own, rule.partner_id
            else:
                table, key = self.scoped, rule.region.path if rule.region_id else ""
            if key not in table or rule.valid_from > table[key].valid_from:
                table[key] = rule

    def rule(self, partner):
        own = self.own.get(partner.pk)
        if own is not None:
            return own
        path = partner.region.path if partner.region_id else ""
        ancestors = [path[:i + 1] for i, char in enumerate(path) if char == "/" and i > 0]
        for region_path in reversed(ancestors):  # the nearest first
            if region_path in self.scoped:
                return self.scoped[region_path]
        return self.scoped.get("")


def rule_for(partner, day):
    """The rule settling `partner` on `day` (see RuleBook). None when there is none."""
    return RuleBook(day).rule(partner)


# --- Exchange rates --------------------------------------------------------------------------------------------------


@transaction.atomic
def exchange_rate_set(*, organization, day, base, quote, rate, source="", actor=None):
    base, quote = _currency(base), _currency(quote)
    if base == quote:
        raise SettlementError(msg.MSG_SAME_CURRENCY)
    try:
        rate = Decimal(str(rate))
    except (InvalidOperation, ValueError):
        raise SettlementError(msg.MSG_RATE_NOT_POSITIVE) from None
    if not rate.is_finite() or rate <= 0:
        raise SettlementError(msg.MSG_RATE_NOT_POSITIVE)
    with tenant_scope(organization):
        before = audit_snapshot(ExchangeRate.objects.select_for_update()
                                .filter(base=base, quote=quote, date=day).first())
        row, _created = ExchangeRate.objects.update_or_create(
            organization=organization, base=base, quote=quote, date=day,
            defaults={"rate": rate, "source": source[:100]})
        audit_record(row, before, actor=actor)
        return row


class _Rates:
    """The rates a statement needs, read once per pair: the rate of a day, or the latest of the days before it."""

    def __init__(self, quote):
        self.quote, self.pairs = quote, {}

    def rate(self, base, day):
        if base == self.quote:
            return None
        known = self.pairs.get(base)
        if known is None:
            known = self.pairs[base] = sorted(
                ExchangeRate.objects.filter(base=base, quote=self.quote).values_list("date", "rate"), reverse=True)
        for rate_day, rate in known:
            if rate_day <= day:
                if (day - rate_day).days <= RATE_LOOKBACK_DAYS:
                    return rate
                break
        raise msg.refusal("rate_missing", base=base, quote=self.quote, date=day, days=RATE_LOOKBACK_DAYS)


# --- Partners and the catalogue --------------------------------------------------------------------------------------


@transaction.atomic
def partner_save(*, organization, partner=None, stores=None, bank_account=None, actor=None, **fields):
    """Create or change a partner. `bank_account` (digits) is encrypted at rest; None leaves it as it was, "" clears
    it. `stores`: the stores whose orders settle to it (a store settles to one partner). Audited, bank details
    masked."""
    with tenant_scope(organization):
        if partner is None:
            partner = Partner(organization=organization)
        else:
            partner = Partner.objects.select_for_update().get(pk=partner.pk)
        before = audit_snapshot(partner)
        for name, value in fields.items():
            setattr(partner, name, value)
        if bank_account is not None:
            digits = bank_account.replace(" ", "")
            if digits and (not _ACCOUNT.match(bank_account) or not 8 <= len(digits) <= 34):
                raise SettlementError(msg.MSG_BANK_ACCOUNT)
            partner.bank_account_encrypted = secret_encrypt(digits)
            partner.bank_account_last4 = digits[-4:]
        if Partner.objects.filter(code=partner.code).exclude(pk=partner.pk).exists():
            raise SettlementError(msg.MSG_PARTNER_CODE_TAKEN % {"code": partner.code})
        partner.save()
        if stores is not None:
            taken = (PartnerStore.objects.filter(store__in=stores).exclude(partner=partner)
                     .select_related("store", "partner").first())
            if taken is not None:
                raise SettlementError(msg.MSG_STORE_TAKEN % {"store": taken.store, "partner": taken.partner})
            partner.stores.set(stores)
        audit_record(partner, before, actor=actor)
        return partner


@transaction.atomic
def service_item_save(*, organization, item=None, actor=None, **fields):
    """Create or change a service item of the catalogue (code unique in the organization). Audited."""
    with tenant_scope(organization):
        if item is None:
            item = ServiceItem(organization=organization)
        else:
            item = ServiceItem.objects.select_for_update().get(pk=item.pk)
        before = audit_snapshot(item)
        for name, value in fields.items():
            setattr(item, name, value.strip() if isinstance(value, str) else value)
        if not item.name:
            raise SettlementError(msg.MSG_ITEM_NAME)
        if ServiceItem.objects.filter(code=item.code).exclude(pk=item.pk).exists():
            raise SettlementError(msg.MSG_ITEM_CODE_TAKEN % {"code": item.code})
        item.save()
        audit_record(item, before, actor=actor)
        return item


@transaction.atomic
def service_price_set(*, organization, item, tier, price, material_cost=0, technician_payout=0, region=None,
                      currency="CNY", actor=None):
    """The item's price in a city tier (of a region, or everywhere): created or changed in place. Audited."""
    with tenant_scope(organization):
        values = {"price": _decimal(price, _label(ServicePrice, "price")),
                  "material_cost": _decimal(material_cost, _label(ServicePrice, "material_cost")),
                  "technician_payout": _decimal(technician_payout, _label(ServicePrice, "technician_payout")),
                  "currency": _currency(currency)}
        before = audit_snapshot(ServicePrice.objects.select_for_update(of=("self",))
                                .filter(item=item, region=region, tier=tier).first())
        row, _created = ServicePrice.objects.update_or_create(
            organization=organization, item=item, region=region, tier=tier, defaults=values)
        audit_record(row, before, actor=actor)
        return row


@transaction.atomic
def city_tiers_set(*, organization, regions, tier, actor=None):
    """Put `regions` (cities of the region tree) in a price tier (a CityTier value), or back to none (`tier` None: a
    city without a tier is priced as tier 3). One row of the settings audit trail per region whose tier changes;
    jobs already priced keep their prices. Returns how many regions changed. A region of another organization or an
    unknown tier: refused, nothing written."""
    if tier is not None and tier not in CityTier.values:
        raise SettlementError(msg.MSG_BAD_TIER % {"tier": tier})
    with tenant_scope(organization):
        ids = sorted({region.pk for region in regions})
        if not ids or any(region.organization_id != organization.pk for region in regions):
            raise SettlementError(msg.MSG_NO_REGIONS)
        advisory_xact_lock("settlement-city-tiers", organization.pk)
        rows = {row.region_id: row for row in RegionCityTier.objects.select_for_update()
                .select_related("region").filter(region_id__in=ids)}
        by_id = {region.pk: region for region in regions}
        changed = 0
        for region_id in ids:
            row = rows.get(region_id)
            if row is not None and row.tier == tier:
                continue
            if tier is None:
                if row is None:
                    continue
                audit_record(row, audit_snapshot(row), actor=actor, deleted=True)
                row.delete()
            else:
                before = audit_snapshot(row)
                if row is None:
                    row = RegionCityTier(organization=organization, region=by_id[region_id], tier=tier)
                    row.save()
                else:
                    row.tier = tier
                    row.save(update_fields=["tier"])
                audit_record(row, before, actor=actor)
            changed += 1
        return changed


def _city_tier(region):
    if region is None:
        return CityTier.TIER_3
    tier = RegionCityTier.objects.filter(region=region).values_list("tier", flat=True).first()
    return tier or CityTier.TIER_3


def _price_for(item, region, tier):
    """The item's price for the tier in the nearest region (the job's city, then up the tree), else everywhere."""
    paths = []
    if region is not None:
        paths = [region.path[:i + 1] for i, char in enumerate(region.path) if char == "/" and i > 0]
    prices = (ServicePrice.objects.filter(item=item, tier=tier)
              .filter(Q(region__path__in=paths) | Q(region__isnull=True)).select_related("region"))
    return max(prices, key=lambda p: len(p.region.path) if p.region_id else 0, default=None)


# --- Service jobs ----------------------------------------------------------------------------------------------------

# The ticket types whose resolution is a job done at the customer's.
SERVICE_TICKET_TYPES = {"install": ServiceItem.Kind.INSTALLATION, "installation": ServiceItem.Kind.INSTALLATION,
                        "repair": ServiceItem.Kind.REPAIR, "maintenance": ServiceItem.Kind.MAINTENANCE}


def service_job_from_ticket(ticket, *, before=None, actor=None):
    """The ticket lifecycle's hook (tickets.hooks): a resolved installation or repair ticket becomes a job to
    complete (once per ticket, whatever the number of resolutions). Runs in the ticket's transaction."""
    if ticket.status != "resolved" or ticket.type_id is None:
        return None
    kind = SERVICE_TICKET_TYPES.get(ticket.type.code)
    if kind is None:
        return None
    with tenant_scope(ticket.organization_id):
        if ServiceJob.objects.filter(ticket=ticket).exists():
            return None
        return ServiceJob.objects.create(
            organization_id=ticket.organization_id, number=f"SJ{ticket.number}"[:32], ticket=ticket, kind=kind,
            customer_id=ticket.customer_id, region_id=ticket.region_id, tier=_city_tier(ticket.region),
            technician=(ticket.assignee.get_full_name() or ticket.assignee.username)[:50] if ticket.assignee else "")


def _job_quantity(quantity):
    """A line's quantity as a Decimal, or SettlementError: not a number, not finite (NaN, Infinity), outside
    JOB_QUANTITY_MIN..JOB_QUANTITY_MAX or with more than two decimals."""
    try:
        value = Decimal(str(quantity).strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not JOB_QUANTITY_MIN <= value <= JOB_QUANTITY_MAX \
            or value != value.quantize(Decimal(1).scaleb(-JOB_QUANTITY_PLACES)):
        raise SettlementError(msg.MSG_JOB_QUANTITY_RANGE % {"min": JOB_QUANTITY_MIN, "max": JOB_QUANTITY_MAX,
                                                           "value": quantity})
    return value


@transaction.atomic
def service_job_complete(*, job, partner, items, technician="", region=None, completed_at=None):
    """Record what was done: the items (pairs of catalogue item and quantity) priced for the job's city tier, the
    partner and technician. Refused with nothing written when an item has no price."""
    with tenant_scope(job.organization_id):
        job = ServiceJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in {ServiceJob.Status.OPEN, ServiceJob.Status.COMPLETED}:
            raise SettlementError(msg.MSG_JOB_STATUS % {"status": job.get_status_display()})
        if partner is None:
            raise SettlementError(msg.MSG_JOB_NO_PARTNER)
        items = [(item, _job_quantity(quantity)) for item, quantity in items]
        if not items:
            raise SettlementError(msg.MSG_JOB_NO_ITEMS)
        if region is not None:
            job.region, job.tier = region, _city_tier(region)
        lines, currency = [], None
        for item, quantity in items:
            if quantity <= 0:
                raise SettlementError(msg.MSG_JOB_QUANTITY)
            price = _price_for(item, job.region, job.tier)
            if price is None:
                raise SettlementError(msg.MSG_JOB_NO_PRICE % {
                    "item": item, "tier": CityTier(job.tier).label, "region": job.region or "—"})
            currency = currency or price.currency
            lines.append(ServiceJobLine(organization_id=job.organization_id, job=job, item=item, quantity=quantity,
                                        unit_price=price.price, unit_material_cost=price.material_cost,
                                        unit_payout=price.technician_payout))
        job.lines.all().delete()
        ServiceJobLine.objects.bulk_create(lines)
        job.partner, job.technician, job.currency = partner, technician[:50] or job.technician, currency
        job.price_total = money_round(sum(line.unit_price * line.quantity for line in lines))
        job.material_total = money_round(sum(line.unit_material_cost * line.quantity for line in lines))
        job.payout_total = money_round(sum(line.unit_payout * line.quantity for line in lines))
        job.status = ServiceJob.Status.COMPLETED
        job.completed_at = completed_at or job.completed_at or timezone.now()
        job.save()
        return job


@transaction.atomic
def service_job_confirm(*, job, confirmed_at=None):
    """The customer confirmed the job: its money goes into its partner's statement of the period it was done in."""
    with tenant_scope(job.organization_id):
        job = ServiceJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ServiceJob.Status.COMPLETED:
            raise SettlementError(msg.MSG_JOB_STATUS % {"status": job.get_status_display()})
        job.status, job.confirmed_at = ServiceJob.Status.CONFIRMED, confirmed_at or timezone.now()
        job.save(update_fields=["status", "confirmed_at"])
        return job


# --- Statements ------------------------------------------------------------------------------------------------------


def _groups(rows, rates, conversion_day, amount_key):
    groups = []
    for row in rows:
        day = conversion_day or row["day"]
        groups.append(Group(row["currency"], row[amount_key] or Decimal(0), row.get("n", 0),
                            rates.rate(row["currency"], day)))
    return groups


_SUM_KEYS = {"orders": ("total", "n"), "fees": ("total",), "refunds": ("total", "n"),
             "jobs": ("price", "material", "payout", "n")}


def period_sums(partners, start, end):
    """The period's sums of many partners at once, read in the database in four GROUP BY queries (never one per
    partner): {partner id: {"orders", "fees", "refunds", "jobs": [rows of currency, day and sums]}}. Orders are
    those a reconciled payment line points at, their fees that line's; refunds those refunded in the period; jobs
    those confirmed and completed in it. Grouped by store, then added up per partner (a partner may have several
    stores; a store settles to one partner)."""
    since, until = _local_bounds(start, end)
    partner_of = dict(PartnerStore.objects.filter(partner__in=[p.pk for p in partners])
                      .values_list("store_id", "partner_id"))
    stores = list(partner_of)
    reconciled = reconciled_payment_lines().filter(match__order=OuterRef("pk"))
    orders = (Order.objects.filter(store__in=stores, paid_at__gte=since, paid_at__lt=until)
              .filter(Exists(reconciled)).annotate(day=TruncDate("paid_at", tzinfo=SHANGHAI))
              .values("store_id", "currency", "day").annotate(total=Sum("paid_amount"), n=Count("pk")).order_by())
    fees = (reconciled_payment_lines().filter(match__order__store__in=stores, match__order__paid_at__gte=since,
                                              match__order__paid_at__lt=until)
            .annotate(day=TruncDate("match__order__paid_at", tzinfo=SHANGHAI), store_id=F("match__order__store_id"))
            .values("store_id", "currency", "day").annotate(total=Sum("fee")).order_by())
    refunds = (Refund.objects.filter(store__in=stores, status=Refund.Status.REFUNDED, refunded_at__gte=since,
                                     refunded_at__lt=until)
               .annotate(day=TruncDate("refunded_at", tzinfo=SHANGHAI)).values("store_id", "currency", "day")
               .annotate(total=Sum("amount"), n=Count("pk")).order_by())
    jobs = (ServiceJob.objects.filter(partner__in=[p.pk for p in partners], status=ServiceJob.Status.CONFIRMED,
                                      completed_at__gte=since, completed_at__lt=until)
            .annotate(day=TruncDate("completed_at", tzinfo=SHANGHAI)).values("partner_id", "currency", "day")
            .annotate(price=Sum("price_total"), material=Sum("material_total"), payout=Sum("payout_total"),
                      n=Count("pk")).order_by())
    merged = {}
    for kind, rows in (("orders", orders), ("fees", fees), ("refunds", refunds), ("jobs", jobs)):
        for row in rows:
            partner_id = row["partner_id"] if kind == "jobs" else partner_of[row["store_id"]]
            cells = merged.setdefault(partner_id, {}).setdefault(kind, {})
            cell = cells.setdefault((row["currency"], row["day"]),
                                    {"currency": row["currency"], "day": row["day"],
                                     **dict.fromkeys(_SUM_KEYS[kind], 0)})
            for key in _SUM_KEYS[kind]:
                cell[key] += row[key] or 0
    return {partner_id: {kind: sorted(cells.values(), key=lambda c: (c["currency"], c["day"]))
                         for kind, cells in kinds.items()} for partner_id, kinds in merged.items()}


def statement_inputs(partner, rule, start, end, adjustments=(), sums=None, rates=None):
    """The period's sums for `partner` (`sums`: read already by `period_sums` for many partners; else read here),
    converted at the rule's rates (refused with the missing rate's pair and date). `rates`: a _Rates of the rule's
    currency shared by the statements of a chunk."""
    rates = rates or _Rates(rule.currency)
    conversion_day = end if rule.conversion_date == SettlementRule.ConversionDate.PERIOD_END else None
    if sums is None:
        sums = period_sums([partner], start, end).get(partner.pk, {})
    orders, fees, refunds, jobs = (sums.get(kind, []) for kind in ("orders", "fees", "refunds", "jobs"))
    no_count = [{**row, "n": 0} for row in jobs]
    return Inputs(
        sales=tuple(_groups(orders, rates, conversion_day, "total")),
        refunds=tuple(_groups(refunds, rates, conversion_day, "total")),
        fees=tuple(_groups(fees, rates, conversion_day, "total")),
        service_income=tuple(_groups(jobs, rates, conversion_day, "price")),
        materials=tuple(_groups(no_count, rates, conversion_day, "material")),
        payouts=tuple(_groups(no_count, rates, conversion_day, "payout")),
        adjustments=tuple(adjustments),
    ), sum(row["n"] for row in orders), sum(row["n"] for row in jobs)


def _terms(rule):
    return Terms(currency=rule.currency, commission_rate=rule.commission_rate,
                 tiers=tuple(tiers_parse(rule.rebate_tiers)),
                 progressive=rule.tier_mode == SettlementRule.TierMode.PROGRESSIVE, tax_rate=rule.tax_rate,
                 prices_include_tax=rule.prices_include_tax, minimum_payout=rule.minimum_payout,
                 quantum=rule.rounding)


def _line_description(line):
    from settlement.partner_models import StatementLineKind

    if line.description:
        return line.description
    label = str(StatementLineKind(line.kind).label)
    return f"{label} ({line.source_currency})" if line.source_currency else label


# The statement's columns a regeneration writes (one UPDATE for a chunk's drafts).
_GENERATED_FIELDS = ("rule", "currency", "status", *TOTAL_FIELDS.values(), "subtotal", "tax_included", "payable",
                     "below_minimum", "order_count", "job_count", "generated_at")


@transaction.atomic
def statement_generate(*, partner, period_start, period_end, actor=None):
    """Draft (or redraft) the partner's statement of the period. Idempotent: generating a draft again gives the
    same lines. A reviewed, approved or paid statement is returned as it is. Returns (statement, generated).
    A chunk of one of `statements_generate`; refused (SettlementError, nothing written) as that partner would be."""
    [result] = statements_generate(partners=[partner], period_start=period_start, period_end=period_end,
                                   actor=actor).values()
    if isinstance(result, SettlementError):
        raise result
    return result


@transaction.atomic
def statements_generate(*, partners, period_start, period_end, actor=None, rules=None):
    """Draft (or redraft) the statements of the period of many partners (of one organization) at once:
    {partner id: (statement, generated)}, or the SettlementError refusing that partner (no rule, a missing exchange
    rate: nothing of it written, the others are). Reviewed, approved and paid statements are returned as they are.

    A fixed few queries for the whole chunk, whatever its size: the partners' locks, their statements of the
    period, the rules (once: `rules`, a RuleBook of the period's start, may be shared by the chunks of a run), the
    period's sums (`period_sums`), the pending adjustments and carried-over statements; then the writes: the new
    statements, one UPDATE of the drafts, one DELETE of their lines, one INSERT of all lines, the adjustments and
    carried statements taken, the events. Each statement is computed by `statement_compute` as one would be alone,
    so a chunk gives the lines one-by-one generation gives."""
    if period_end < period_start:
        raise SettlementError(msg.MSG_PERIOD)
    partners = list(partners)
    if not partners:
        return {}
    organization_id = partners[0].organization_id
    with tenant_scope(organization_id):
        advisory_xact_locks([("settlement-statement", organization_id, partner.pk) for partner in partners])
        existing = {statement.partner_id: statement for statement in SettlementStatement.objects.select_for_update()
                    .filter(partner__in=[partner.pk for partner in partners], period_start=period_start,
                            period_end=period_end)}
        rules = rules or RuleBook(period_start)
        results, todo = {}, []
        for partner in partners:
            statement = existing.get(partner.pk)
            if statement is not None and statement.status != Status.DRAFT:
                results[partner.pk] = (statement, False)
                continue
            rule = rules.rule(partner)
            if rule is None:
                results[partner.pk] = msg.refusal("no_rule", partner=partner, date=period_start)
                continue
            todo.append((partner, rule, statement))
        if not todo:
            return results
        ids = [partner.pk for partner, _rule, _statement in todo]
        drafts = [statement.pk for _partner, _rule, statement in todo if statement is not None]
        # Corrections waiting for these partners (and those already in their drafts), and earlier approved
        # statements below the minimum payout, carried forward.
        pending, carried = {}, {}
        for adjustment in (SettlementAdjustment.objects.filter(partner__in=ids)
                           .filter(Q(statement__isnull=True) | Q(statement__in=drafts)).order_by("created_at", "pk")):
            pending.setdefault(adjustment.partner_id, []).append(adjustment)
        below = SettlementStatement.objects.filter(partner__in=ids, status=Status.APPROVED, below_minimum=True,
                                                   period_end__lt=period_start)
        for earlier in (below.filter(Q(carried_into__isnull=True) | Q(carried_into__in=drafts))
                        .order_by("period_start", "pk")):
            carried.setdefault(earlier.partner_id, []).append(earlier)
        sums = period_sums([partner for partner, _rule, _statement in todo], period_start, period_end)
        rates, now, done = {}, timezone.now(), []
        for partner, rule, statement in todo:
            own = statement.pk if statement is not None else None
            taken = [a for a in pending.get(partner.pk, ()) if a.statement_id in (None, own)
                     and a.currency == rule.currency]
            forward = [s for s in carried.get(partner.pk, ()) if s.carried_into_id in (None, own)
                       and s.currency == rule.currency]
            adjustments = [Adjustment(a.amount, a.reason, a) for a in taken]
            adjustments += [Adjustment(s.payable, f"{s.period_start} – {s.period_end} carried forward", s)
                            for s in forward]
            try:
                inputs, order_count, job_count = statement_inputs(
                    partner, rule, period_start, period_end, adjustments, sums=sums.get(partner.pk, {}),
                    rates=rates.setdefault(rule.currency, _Rates(rule.currency)))
            except SettlementError as error:
                results[partner.pk] = error
                continue
            result = statement_compute(inputs, _terms(rule))
            created = statement is None
            if created:
                statement = SettlementStatement(organization_id=organization_id, partner=partner,
                                                period_start=period_start, period_end=period_end)
            statement.rule, statement.currency, statement.status = rule, rule.currency, Status.DRAFT
            for name, value in result.totals.items():
                setattr(statement, name, value)
            statement.subtotal, statement.tax_included = result.subtotal, result.tax_included
            statement.payable, statement.below_minimum = result.payable, result.below_minimum
            statement.order_count, statement.job_count = order_count, job_count
            statement.generated_at = now
            done.append((statement, created, result, taken, forward))
            results[partner.pk] = (statement, True)
        _statements_write(organization_id, done, actor)
        return results


def _statements_write(organization_id, done, actor):
    """The writes of a chunk's computed statements: [(statement, created, result, adjustments taken, statements
    carried)]."""
    if not done:
        return
    SettlementStatement.objects.bulk_create([statement for statement, created, *_rest in done if created])
    redrafted = [statement for statement, created, *_rest in done if not created]
    tenant_bulk_update(redrafted, _GENERATED_FIELDS, organization=organization_id)
    if redrafted:
        SettlementStatementLine.objects.filter(statement__in=[statement.pk for statement in redrafted]).delete()
    SettlementStatementLine.objects.bulk_create([
        SettlementStatementLine(
            organization_id=organization_id, statement=statement, position=n, kind=line.kind,
            description=_line_description(line)[:255], count=line.count, source_currency=line.source_currency,
            source_amount=line.source_amount, rate=line.rate, amount=line.amount,
            adjustment=line.adjustment if isinstance(line.adjustment, SettlementAdjustment) else None)
        for statement, _created, result, _taken, _forward in done for n, line in enumerate(result.lines, start=1)])
    adjustments, earlier = [], []
    for statement, _created, _result, taken, forward in done:
        for adjustment in taken:
            adjustment.statement = statement
        for carried in forward:
            carried.carried_into = statement
        adjustments += taken
        earlier += forward
    tenant_bulk_update(adjustments, ["statement"], organization=organization_id)
    tenant_bulk_update(earlier, ["carried_into"], organization=organization_id)
    SettlementStatementEvent.objects.bulk_create([
        SettlementStatementEvent(organization_id=organization_id, statement=statement,
                                 action=Event.GENERATED if created else Event.REGENERATED, by=actor,
                                 detail={"payable": str(statement.payable), "orders": statement.order_count,
                                         "jobs": statement.job_count})
        for statement, created, *_rest in done])


def _locked(statement_id):
    return SettlementStatement.objects.select_for_update().select_related("partner").get(pk=statement_id)


def _transition(statement, allowed, action_label):
    if statement.status not in allowed:
        if statement.locked and action_label in {"adjusted", "regenerated", "reviewed"}:
            raise SettlementError(msg.MSG_STATEMENT_LOCKED % {
                "partner": statement.partner, "start": statement.period_start, "end": statement.period_end,
                "status": statement.get_status_display()})
        raise SettlementError(msg.MSG_STATEMENT_TRANSITION % {"status": statement.get_status_display()})


@transaction.atomic
def statement_review(*, statement, actor):
    with tenant_scope(statement.organization_id):
        statement = _locked(statement.pk)
        _transition(statement, {Status.DRAFT}, "reviewed")
        statement.status, statement.reviewed_by, statement.reviewed_at = Status.REVIEWED, actor, timezone.now()
        statement.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        _event(statement, Event.REVIEWED, actor)
        return statement


@transaction.atomic
def statement_reopen(*, statement, actor):
    """A reviewed statement back to draft (to adjust or regenerate it)."""
    with tenant_scope(statement.organization_id):
        statement = _locked(statement.pk)
        _transition(statement, {Status.REVIEWED}, "sent back to draft")
        statement.status = Status.DRAFT
        statement.save(update_fields=["status"])
        _event(statement, Event.REOPENED, actor)
        return statement


def statement_reviewer_may_approve(*, statement):
    """Whether whoever marked the statement reviewed may approve it too: only when its rule sets a limit (0, the
    default: never) and the payable, either sign, is at most that limit (both in the settlement currency)."""
    limit = statement.rule.self_approval_limit
    return limit > 0 and abs(statement.payable) <= limit


def statement_self_approval_note(*, statement):
    """What the reviewer reads beside Approve: whether they may approve it themselves, and why."""
    limit = statement.rule.self_approval_limit
    values = {"limit": money_display(limit), "currency": statement.currency}
    if statement_reviewer_may_approve(statement=statement):
        return msg.MSG_STATEMENT_SELF_APPROVAL_WITHIN_LIMIT % values
    if limit > 0:
        return msg.MSG_STATEMENT_SELF_APPROVAL_ABOVE_LIMIT % values
    return msg.MSG_STATEMENT_SELF_APPROVAL


@transaction.atomic
def statement_approve(*, statement, actor):
    """Lock a reviewed statement. Two people see every payout: refused to whoever marked it reviewed (another finance
    user approves) unless its rule lets the reviewer approve a payable this small (`statement_reviewer_may_approve`),
    and when its lines no longer add up to its totals."""
    with tenant_scope(statement.organization_id):
        statement = _locked(statement.pk)
        _transition(statement, {Status.REVIEWED}, "approved")
        if (actor is not None and statement.reviewed_by_id == actor.pk
                and not statement_reviewer_may_approve(statement=statement)):
            raise SettlementError(statement_self_approval_note(statement=statement))
        lines = list(statement.lines.values_list("kind", "amount"))
        totals = {name: getattr(statement, name) for name in (
            "sales", "refunds", "channel_fees", "commission", "rebates", "service_income", "materials",
            "technician_payouts", "adjustments", "tax")}
        if not lines_balance(lines, totals, statement.payable):
            raise SettlementError(msg.MSG_STATEMENT_UNBALANCED)
        statement.status, statement.approved_by, statement.approved_at = Status.APPROVED, actor, timezone.now()
        statement.save(update_fields=["status", "approved_by", "approved_at"])
        _event(statement, Event.APPROVED, actor, payable=str(statement.payable))
        return statement


@transaction.atomic
def statement_mark_paid(*, statement, actor, reference):
    reference = (reference or "").strip()
    if not reference:
        raise SettlementError(msg.MSG_PAYMENT_REFERENCE)
    if len(reference) > PAYMENT_REFERENCE_MAX_LENGTH:
        # Refused, not cut: a reference cut short matches no bank line.
        raise SettlementError(msg.MSG_PAYMENT_REFERENCE_TOO_LONG % {"limit": PAYMENT_REFERENCE_MAX_LENGTH,
                                                                   "length": len(reference)})
    with tenant_scope(statement.organization_id):
        statement = _locked(statement.pk)
        _transition(statement, {Status.APPROVED}, "marked paid")
        if statement.carried_into_id is not None:
            later = SettlementStatement.objects.get(pk=statement.carried_into_id)
            raise SettlementError(msg.MSG_STATEMENT_CARRIED % {"start": later.period_start, "end": later.period_end})
        statement.status, statement.paid_by, statement.paid_at = Status.PAID, actor, timezone.now()
        statement.payment_reference = reference
        statement.save(update_fields=["status", "paid_by", "paid_at", "payment_reference"])
        _event(statement, Event.PAID, actor, reference=reference)
        return statement


@transaction.atomic
def statement_adjust(*, statement, actor, amount, reason):
    """A manual correction with its reason. On a draft it goes in at once (the draft is regenerated); on an approved
    or paid statement it is refused: the correction is recorded against the partner and goes into its next
    statement (`adjustment_for_next_period`). Returns the adjustment."""
    reason = (reason or "").strip()[:255]
    if not reason:
        raise SettlementError(msg.MSG_ADJUSTMENT_REASON)
    try:
        amount = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise SettlementError(msg.MSG_ADJUSTMENT_ZERO) from None
    if not amount.is_finite() or money_round(amount) == 0:
        raise SettlementError(msg.MSG_ADJUSTMENT_ZERO)
    with tenant_scope(statement.organization_id):
        statement = _locked(statement.pk)
        _transition(statement, {Status.DRAFT}, "adjusted")
        adjustment = SettlementAdjustment.objects.create(
            organization_id=statement.organization_id, partner=statement.partner, currency=statement.currency,
            amount=money_round(amount), reason=reason, statement=statement, created_by=actor)
        _event(statement, Event.ADJUSTED, actor, amount=str(adjustment.amount), reason=reason)
        statement_generate(partner=statement.partner, period_start=statement.period_start,
                           period_end=statement.period_end, actor=actor)
        return adjustment


@transaction.atomic
def adjustment_for_next_period(*, statement, actor, amount, reason):
    """A correction of an approved (or paid) statement: recorded against the partner, it goes into the partner's
    next statement generated."""
    reason = (reason or "").strip()[:255]
    if not reason:
        raise SettlementError(msg.MSG_ADJUSTMENT_REASON)
    try:
        amount = money_round(Decimal(str(amount)))
    except (InvalidOperation, ValueError):
        raise SettlementError(msg.MSG_ADJUSTMENT_ZERO) from None
    if amount == 0:
        raise SettlementError(msg.MSG_ADJUSTMENT_ZERO)
    with tenant_scope(statement.organization_id):
        statement = _locked(statement.pk)
        if not statement.locked:
            return statement_adjust(statement=statement, actor=actor, amount=amount, reason=reason)
        adjustment = SettlementAdjustment.objects.create(
            organization_id=statement.organization_id, partner=statement.partner, currency=statement.currency,
            amount=amount, reason=reason, corrects=statement, created_by=actor)
        _event(statement, Event.ADJUSTED, actor, amount=str(amount), reason=reason, next_period=True)
        return adjustment


# --- Runs: every statement of a period, as a job of the outbox --------------------------------------------------------


@transaction.atomic
def settlement_run_request(*, organization, cycle, day, actor=None):
    """Generate the statements of the `cycle` period holding `day` for every active partner whose rule has that
    cycle, on the jobs queue. Asking again re-runs it (drafts are regenerated, the rest left alone)."""
    start, end = period_bounds(cycle, day)
    with tenant_scope(organization):
        run, _created = SettlementRun.objects.get_or_create(
            organization=organization, cycle=cycle, period_start=start,
            defaults={"period_end": end, "requested_by": actor})
        run.status, run.problems, run.finished_at = SettlementRun.Status.QUEUED, [], None
        run.save(update_fields=["status", "problems", "finished_at"])
        outbox.enqueue(RUN_KIND, run)
        return run


def settlement_run_execute(*, run_id):
    """The job: the statements of every active partner whose rule has the run's cycle, RUN_CHUNK partners per
    transaction (`statements_generate`); a refused partner (a missing exchange rate) is listed on the run and the
    others are generated."""
    run = SettlementRun.objects.get(pk=run_id)
    SettlementRun.objects.filter(pk=run.pk).update(status=SettlementRun.Status.RUNNING)
    generated = skipped = 0
    problems = []
    rules = RuleBook(run.period_start)
    partners = [partner for partner in Partner.objects.filter(active=True).select_related("region").order_by("pk")
                if (rule := rules.rule(partner)) is not None and rule.cycle == run.cycle]
    for first in range(0, len(partners), RUN_CHUNK):
        chunk = partners[first:first + RUN_CHUNK]
        results = statements_generate(partners=chunk, period_start=run.period_start, period_end=run.period_end,
                                      rules=rules)
        for partner in chunk:
            result = results[partner.pk]
            if isinstance(result, SettlementError):
                # Stored as a code when it has one: the page words it in its reader's language.
                problems.append({"partner": partner.code, "code": result.code, "params": result.params}
                                if result.code in msg.RUN_PROBLEMS
                                else {"partner": partner.code, "message": str(result)})
                continue
            generated += result[1]
            skipped += not result[1]
    SettlementRun.objects.filter(pk=run.pk).update(
        status=SettlementRun.Status.DONE, generated=generated, skipped=skipped, problems=problems[:200],
        finished_at=timezone.now())
    return generated


def periods_ended(day):
    """The periods that ended the day before `day`: (cycle, a day of the period) for each cycle."""
    yesterday = day - timedelta(days=1)
    ended = [(Cycle.PER_ORDER, yesterday)]
    if yesterday.weekday() == 6:
        ended.append((Cycle.WEEKLY, yesterday))
    if day.day == 1:
        ended.append((Cycle.MONTHLY, yesterday))
    return ended


def settlement_cycles_start(*, organization, today=None):
    """Beat's daily call: a run for each cycle whose period ended yesterday (idempotent: a run per period)."""
    today = today or timezone.localdate()
    runs = []
    for cycle, day in periods_ended(today):
        start, _end = period_bounds(cycle, day)
        with tenant_scope(organization):
            if SettlementRun.objects.filter(cycle=cycle, period_start=start).exists():
                continue
        runs.append(settlement_run_request(organization=organization, cycle=cycle, day=day))
    return runs


def _run_job(run):
    with tenant_scope(run.organization_id):
        settlement_run_execute(run_id=run.pk)


outbox.register(RUN_KIND, model=SettlementRun, handler=_run_job, max_attempts=3, backoff=outbox.exponential(60),
                lease=timedelta(minutes=40), queue=outbox.JOBS_QUEUE, states=JOB_STATES, status_field="job_state",
                time_limit=1900)
