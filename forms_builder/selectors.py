"""Reads of the forms app, shaped for its pages, the public form and the tickets app."""

from datetime import datetime, time, timedelta

from django.db.models import Avg, Count, Max, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from forms_builder.errors import (
    MSG_CASE_NUMBER,
    MSG_SUBMISSION_REFERENCE,
    MSG_THANKS_FOLLOW_UP,
    MSG_THANKS_RECORDED,
)
from forms_builder.filters import NumericAnswer, answer_text
from forms_builder.hooks import submission_handler
from forms_builder.keymap import convert_value, key_lineage, read_sources, source_of
from forms_builder.models import Form, FormFile, FormSubmission, FormVersion
from forms_builder.schema import CHOICE_TYPES, MOBILE_BINDING, NUMERIC_TYPES, FieldType, schema_fields
from scrm.customers.phones import InvalidMobile, mask_mobile, national_mobile, normalize_mobile
from scrm.models import Organization, Region


class RegionChoices(list):
    """[(id, "华东 / 江苏 / 南京")] in tree order, and `nodes`: {id: {"name", "parent", "path", "depth", "leaf"}} (the
    tree the cascading selects and the region checks read)."""

    def __init__(self, choices, nodes):
        super().__init__(choices)
        self.nodes = nodes


def region_choices():
    """The open scope's regions for region fields (one query): see RegionChoices."""
    regions = list(Region.objects.only("pk", "name", "parent_id", "path").order_by("path"))
    names = {region.pk: region for region in regions}
    parents = {region.parent_id for region in regions}

    def label(region):
        parts = []
        while region is not None:
            parts.append(region.name)
            region = names.get(region.parent_id)
        return " / ".join(reversed(parts))

    nodes = {region.pk: {"name": region.name, "parent": region.parent_id, "path": region.path,
                         "depth": region.path.strip("/").count("/") + 1, "leaf": region.pk not in parents}
             for region in regions}
    return RegionChoices([(region.pk, label(region)) for region in regions], nodes)


def region_choices_for(schema):
    """region_choices() when `schema` has a region field, else none (and no query: most forms have none)."""
    if any(field["type"] == FieldType.REGION for field in schema_fields(schema)):
        return region_choices()
    return RegionChoices([], {})


def form_list(*, purpose=None):
    forms = Form.objects.select_related("current_version", "owner_team").annotate(
        submission_count=Count("submissions", distinct=True), version_count=Count("versions", distinct=True))
    if purpose:
        forms = forms.filter(purpose=purpose)
    return forms.order_by("name", "pk")


def forms_published(*, purpose):
    """Published forms of one purpose (ticket types choose their fields form among them)."""
    return Form.objects.filter(purpose=purpose, current_version__isnull=False).order_by("name", "pk")


def form_versions(form):
    return FormVersion.objects.filter(form=form).select_related("published_by").order_by("-number")


def form_submissions(form):
    return (FormSubmission.objects.filter(form=form)
            .select_related("version", "customer", "submitted_by").order_by("-created_at", "-pk"))


# The submissions tables' columns of what a submission led to, with the `outcome` or `customer` each reads.
LINK_COLUMNS = (("customer", Q(customer__isnull=False)), ("outcome", ~Q(outcome={})))


def submission_unused_columns(form):
    """The submissions tables' 客户 and 工单 columns that would read "—" on every row: a form whose purpose acts on
    its submissions (an intake form opens a ticket for a customer: a registered handler) shows both; any other (a
    survey) shows one only when some of its submissions fills it (a customer from a signed link)."""
    if submission_handler(form.purpose) is not None:
        return ()
    filled = FormSubmission.objects.filter(form=form).aggregate(
        **{name: Count("pk", filter=condition) for name, condition in LINK_COLUMNS})
    return tuple(name for name, _condition in LINK_COLUMNS if not filled[name])


def public_organization(slug):
    """The organization of a public form's address (the Organization table is not tenant-scoped); None when
    unknown or suspended."""
    return Organization.objects.filter(slug=slug, is_active=True).first()


def suspended_organization(slug):
    """The organization of a public form's address when the platform has suspended it (its forms say they take
    no answers for now, rather than that the address is wrong), else None."""
    return Organization.objects.filter(slug=slug, is_active=False).first()


def public_form(slug):
    """The form at a public address, in the open scope. A ticket-type fields form has none: it is filled in on its
    ticket (form_submit refuses it from the public page and the API alike)."""
    return (Form.objects.select_related("current_version").filter(slug=slug)
            .exclude(purpose=Form.Purpose.TICKET_FIELDS).first())


def submission_for_edit(*, form, submission_id):
    """A submission of `form` (in the open scope) with its version, or None."""
    if submission_id is None:
        return None
    return FormSubmission.objects.select_related("version").filter(form=form, pk=submission_id).first()


def submission_thanks(*, form, submission_id):
    """What the thanks page says of a submission of `form` (None: no such submission):

    - "message": the line shown when the form sets no thank-you text of its own. It promises that someone will get
      back to the person only when the submission opened a ticket (an intake form's handler reported one); a survey,
      or any submission nobody is asked to follow up, is told its answers are recorded, nothing more.
    - "reference": the number to quote inside its sentence, {"before", "number", "after"} (the translated sentence
      split around the number, so the page keeps the number whole on one line): the ticket's number when it opened
      one, else the submission's own; None for no such submission."""
    submission = (FormSubmission.objects.filter(form=form, pk=submission_id).only("pk", "outcome").first()
                  if submission_id is not None else None)
    outcome = submission.outcome if submission is not None and isinstance(submission.outcome, dict) else {}
    number = outcome.get("number")
    if submission is None:
        reference = None
    elif number:
        reference = _sentence_around(MSG_CASE_NUMBER, "number", number)
    else:
        reference = _sentence_around(MSG_SUBMISSION_REFERENCE, "reference", submission.pk)
    return {"message": MSG_THANKS_FOLLOW_UP if number else MSG_THANKS_RECORDED, "reference": reference}


def _sentence_around(message, name, value):
    """{"before", "number", "after"}: the translated `message` split around its placeholder `%(<name>)s`."""
    before, _placeholder, after = str(message).partition(f"%({name})s")
    return {"before": before, "number": str(value), "after": after}


def submission_by_key(*, form, key):
    """The submission of `form` a page with this one-time key already made (form_submit's `submit_key`), or None."""
    if not key:
        return None
    return FormSubmission.objects.filter(form=form, submit_key=key).first()


def submission_changes(submission, *, masked):
    """The submission's changes after sending, newest first, each with `rows`: its {"label", "before", "after"}
    as the reader may see them, the answers to the version's mobile fields masked when `masked`
    (forms_builder.permissions.masks_mobiles)."""
    changes = list(submission.changes.select_related("by").order_by("-created_at", "-pk"))
    keys = mobile_keys(submission.version.schema) if masked else set()
    for change in changes:
        change.rows = [change_shown(item, keys) for item in change.changes]
    return changes


def change_shown(item, keys):
    """One stored change {"key", "label", "before", "after"} (values as people read them), its values masked when
    its key is one of `keys` (mobile_keys)."""
    if item.get("key") not in keys:
        return item
    return {**item, **{side: masked_mobile(item[side]) for side in ("before", "after") if item.get(side)}}


def webhook_deliveries(form, *, limit=50):
    """The form's latest webhook deliveries with their attempts (two queries)."""
    from django.db.models import Prefetch

    from forms_builder.models import FormWebhookAttempt, FormWebhookDelivery

    return list(FormWebhookDelivery.objects.filter(form=form).order_by("-created_at", "-pk")
                .prefetch_related(Prefetch("attempt_rows", queryset=FormWebhookAttempt.objects.order_by("number")))
                [:limit])


def _option_labels(field):
    return {option["value"]: option["label"] for option in field.get("options", ())}


def holds_mobile(field):
    """A mobile field, or a text field bound to the customer's mobile: its answers are a person's number."""
    return field["type"] == FieldType.MOBILE or field.get("bind") == MOBILE_BINDING


def masked_mobile(value):
    """138****5678 for a number as typed; every character starred when it does not read as one."""
    text = str(value)
    try:
        return mask_mobile(normalize_mobile(text))
    except InvalidMobile:
        return "*" * len(text)


def mobile_keys(schema):
    """The keys of a schema's fields whose answers are a person's number (holds_mobile)."""
    return {field["key"] for field in schema_fields(schema) if holds_mobile(field)}


def submission_answers_for_customer(submission):
    """The stored answers as the page for changing them shows them to the customer who sent them: each mobile as
    people in China write it (13812345678, as they typed it), not as stored (+8613812345678)."""
    keys = mobile_keys(submission.version.schema)
    return {key: _national(value) if key in keys else value for key, value in submission.data.items()}


def _national(value):
    if not isinstance(value, str) or not value.startswith("+"):
        return value  # a text field bound to the mobile keeps the number as typed
    try:
        return national_mobile(normalize_mobile(value))
    except InvalidMobile:
        return value


def submission_data(submission, *, masked):
    """The submission's answers by key (as stored), the answers to its version's mobile fields masked when
    `masked` (forms_builder.permissions.masks_mobiles): what the API and the lists may hand out."""
    if not masked:
        return submission.data
    keys = mobile_keys(submission.version.schema)
    return {key: masked_mobile(value) if key in keys and value not in (None, "") else value
            for key, value in submission.data.items()}


def answer_display(field, value, *, region_names=None, masked=False):
    """An answer as people read it, in the labels of the version it was given against (a number masked when
    `masked` and the field holds one)."""
    if value in (None, "", []):
        return ""
    if masked and holds_mobile(field):
        return masked_mobile(value)
    kind = field["type"]
    if kind in CHOICE_TYPES:
        labels = _option_labels(field)
        values = value if isinstance(value, list) else [value]
        return "、".join(labels.get(str(v), str(v)) for v in values)
    if kind == FieldType.AGREEMENT:
        return "✓" if value else ""
    if kind == FieldType.RATING:
        return "★" * int(value) if str(value).isdigit() else str(value)
    if kind == FieldType.REGION:
        return (region_names or {}).get(value, str(value))
    if kind == FieldType.FILE and isinstance(value, dict):
        return value.get("name", "")
    if kind == FieldType.DATETIME:
        return str(value).replace("T", " ")[:16]
    return str(value)


def submission_rows(submission, *, region_names=None, masked=False):
    """[{"key", "label", "value", "type", "file_id"}] of the answered fields, in the order of the version's schema."""
    if region_names is None:
        region_names = dict(region_choices()) if any(
            f["type"] == FieldType.REGION for f in schema_fields(submission.version.schema)) else {}
    rows = []
    for field in schema_fields(submission.version.schema):
        if field["key"] not in submission.data:
            continue
        value = submission.data[field["key"]]
        rows.append({"key": field["key"], "label": field["label"], "type": field["type"],
                     "value": answer_display(field, value, region_names=region_names, masked=masked),
                     "file_id": value.get("file_id") if isinstance(value, dict) else None})
    return rows


def submission_text(submission, *, masked):
    """The answers as plain text lines ("label：value"), for a ticket's description (the answers to mobile fields
    masked when `masked`)."""
    return "\n".join(f"{row['label']}：{row['value']}" for row in submission_rows(submission, masked=masked))


def form_file(*, submission_id, file_id):
    return FormFile.objects.filter(submission_id=submission_id, pk=file_id).first()


def answer_fields(form):
    """Every answerable field of a form across its versions, each key once, as its latest version defines it (label,
    type, options), in the order the keys first appeared, a key renamed at publish under its new name: the columns
    and filters of the submissions list. Each carries its `sources` (forms_builder.keymap.key_lineage)."""
    versions = FormVersion.objects.filter(form=form).order_by("number").values_list("pk", "schema", "key_map")
    return key_lineage(list(versions))


def export_columns(form):
    """Columns of an export across every version: each field key once, labelled as in its latest version."""
    return {spec["key"]: spec["label"] for spec in answer_fields(form)}


def column_answer(spec, submission, version_fields, *, region_names=None, masked=False):
    """A submission's answer in the column of `spec` (answer_fields), as people read it: in the terms of its own
    version, or of the column's type when its answers were converted at a publish. `version_fields` caches
    {version id: {key: field}} across rows."""
    fields = version_fields.get(submission.version_id)
    if fields is None:
        fields = version_fields[submission.version_id] = {f["key"]: f for f in schema_fields(submission.version.schema)}
    source = source_of(spec, submission.version_id)
    key = source["key"] if source else spec["key"]
    if key not in submission.data or key not in fields:
        return ""
    value = submission.data[key]
    if masked and (holds_mobile(spec) or holds_mobile(fields[key])):  # a number under either type stays hidden
        return masked_mobile(value) if value not in (None, "") else ""
    if source and source["mode"] == "converted":
        return answer_display(spec, convert_value(value, spec["type"]), region_names=region_names)
    return answer_display(fields[key], value, region_names=region_names)


def version_diff(older, newer):
    """What changed between two schemas, field by field (by key): [{"key", "change", "label", "what"}] where
    change is "added", "removed" or "changed" and `what` names the properties that differ."""
    before = {f["key"]: f for f in schema_fields(older or {})}
    after = {f["key"]: f for f in schema_fields(newer)}
    changes = []
    for key, field in after.items():
        if key not in before:
            changes.append({"key": key, "change": "added", "label": field["label"], "what": []})
        elif before[key] != field:
            what = sorted(name for name in set(before[key]) | set(field) if before[key].get(name) != field.get(name))
            changes.append({"key": key, "change": "changed", "label": field["label"], "what": what})
    changes.extend({"key": key, "change": "removed", "label": field["label"], "what": []}
                   for key, field in before.items() if key not in after)
    return changes


def form_versions_with_diffs(form):
    versions = list(form_versions(form))
    for version, previous in zip(versions, [*versions[1:], None], strict=True):
        version.diff = version_diff(previous.schema if previous else None, version.schema)
    return versions


def form_summary(form):
    """Per field of the current version, over every submission (all versions, by key, a renamed key's old answers
    and converted answers included), computed in the database in one query after the one reading the versions'
    keys: choice and rating fields count each option (and a rating its average), number and money fields give how
    many answered and their minimum, average and maximum. [{"key", "label", "type", "rows": [{"label", "count",
    "percent"}], "total", "average"?} or {"key", "label", "type", "answered", "min", "avg", "max"}]."""
    if form.current_version_id is None:
        return []
    # The current version's fields with where their answers were stored before (renamed or converted keys).
    columns = {spec["key"]: spec for spec in answer_fields(form)}
    fields = [columns.get(f["key"], f) for f in schema_fields(form.current_version.schema)
              if f["type"] in CHOICE_TYPES or f["type"] in NUMERIC_TYPES]
    aggregates, plans = {}, []
    for i, field in enumerate(fields):
        kind = field["type"]
        if kind in CHOICE_TYPES or kind == FieldType.RATING:
            if kind == FieldType.RATING:
                options = [(n, "★" * n) for n in range(5, 0, -1)]
            else:
                options = [(option["value"], option["label"]) for option in field.get("options", ())]
            for j, (value, _label) in enumerate(options):
                matches = Q()
                for stored_key, stored_type in read_sources(field):
                    contained = [value] if stored_type == FieldType.MULTI_CHOICE else value
                    matches |= Q(data__contains={stored_key: contained})
                aggregates[f"f{i}o{j}"] = Count("pk", filter=matches)
            plans.append((i, field, options))
        else:
            number = NumericAnswer(answer_text(field, "data"))
            aggregates.update({f"f{i}n": Count(number), f"f{i}min": Min(number), f"f{i}avg": Avg(number),
                               f"f{i}max": Max(number)})
            plans.append((i, field, None))
    if not aggregates:
        return []
    result = FormSubmission.objects.filter(form=form).aggregate(**aggregates)
    summary = []
    for i, field, options in plans:
        entry = {"key": field["key"], "label": field["label"], "type": field["type"]}
        if options is None:
            average = result[f"f{i}avg"]
            entry.update(answered=result[f"f{i}n"], min=result[f"f{i}min"], max=result[f"f{i}max"],
                         avg=round(average, 2) if average is not None else None)
        else:
            rows = [{"label": label, "count": result[f"f{i}o{j}"]} for j, (_value, label) in enumerate(options)]
            total = sum(row["count"] for row in rows)
            for row in rows:
                row["percent"] = round(100 * row["count"] / total) if total else 0
            entry.update(rows=rows, total=total)
            if field["type"] == FieldType.RATING and total:
                entry["average"] = round(sum(result[f"f{i}o{j}"] * value for j, (value, _l) in enumerate(options))
                                         / total, 2)
        summary.append(entry)
    return summary


def form_daily_counts(form, *, days=60):
    """Submissions per day (Asia/Shanghai) over the last `days` days, every day listed (0 when none): one query."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, time.min))
    counts = dict(FormSubmission.objects.filter(form=form, created_at__gte=since)
                  .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
                  .values("day").annotate(n=Count("pk")).values_list("day", "n"))
    return [{"day": (first + timedelta(days=n)).isoformat(), "count": counts.get(first + timedelta(days=n), 0)}
            for n in range(days)]
