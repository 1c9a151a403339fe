"""Every write of the forms app: create a form, save its draft, publish a version, take a submission."""

import copy

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from forms_builder.crm import customer_fill, customer_write_back
from forms_builder.engine import build_form, raw_answers
from forms_builder.errors import (
    MSG_FIELDS_FORM_NOT_SUBMITTED,
    MSG_FORM_CLOSED,
    MSG_MONEY_LOSS,
    MSG_NOTHING_CHANGED,
    MSG_NOTHING_TO_PUBLISH,
    MSG_OTHER_ORGANIZATION,
    MSG_SLUG_TAKEN,
    MSG_SUBMISSION_INVALID,
    MSG_WEBHOOK_SECRET,
    FormError,
)
from forms_builder.filters import NUMBER_PATTERN
from forms_builder.hooks import edit_listeners, submission_handler
from forms_builder.keymap import (
    key_changes,
    key_map_clean,
    key_map_problems,
    read_sources,
)
from forms_builder.logic import routing_for
from forms_builder.models import Form, FormFile, FormSubmission, FormSubmissionChange, FormVersion
from forms_builder.schema import NO_VALUE_TYPES, FieldType, empty_schema, schema_fields, schema_validate
from forms_builder.selectors import (
    answer_display,
    answer_fields,
    masked_mobile,
    mobile_keys,
    region_choices,
    region_choices_for,
)
from forms_builder.tokens import IDENTITY_PARAM, identity_token
from forms_builder.webhooks import url_origin, webhook_enqueue
from scrm.customers.phones import mask_mobile, normalize_mobile
from scrm.customers.services import customer_create
from scrm.models import Channel, Customer, SettingsChange
from scrm.platform.audit import settings_change_record
from scrm.platform.crypto import secret_encrypt
from scrm.platform.http import UnsafeURL, outbound_url_check
from scrm.platform.tenancy import tenant_scope

WEBHOOK_SECRET_MIN = 16


KEEP = object()  # an optional argument left as it is


def _same_organization(organization_id, *rows):
    for row in rows:
        if row is not None and row.organization_id != organization_id:
            raise FormError(MSG_OTHER_ORGANIZATION)


@transaction.atomic
def form_create(*, organization, name, slug, purpose=Form.Purpose.INTAKE, owner_team=None, schema=None, actor=None):
    """A new draft form; its schema (an empty section by default) is checked before it is saved."""
    _same_organization(organization.pk, owner_team, actor)
    schema = schema_validate(schema if schema is not None else empty_schema())
    with tenant_scope(organization):
        try:
            with transaction.atomic():
                return Form.objects.create(organization=organization, name=name, slug=slug, purpose=purpose,
                                           owner_team=owner_team, draft_schema=schema, created_by=actor)
        except IntegrityError as exc:  # the unique (organization, slug) decides, no check-then-create
            raise FormError(MSG_SLUG_TAKEN % {"slug": slug}) from exc


@transaction.atomic
def form_update(*, form, name=None, purpose=None, owner_team=KEEP, status=None, actor=None):
    """Name, purpose, owner team, or close/reopen a published form (status). What is not given stays as it is;
    an owner team of None: none. Written to the settings audit trail, as the settings card's changes are."""
    with tenant_scope(form.organization_id):
        form = Form.objects.select_for_update().get(pk=form.pk)
        if name is not None:
            form.name = name
        if purpose is not None:
            form.purpose = purpose
        if owner_team is not KEEP:
            _same_organization(form.organization_id, owner_team)
            form.owner_team = owner_team
        if status is not None:
            form.status = status if form.current_version_id else Form.Status.DRAFT
        form.updated_at = timezone.now()
        form.save(update_fields=["name", "purpose", "owner_team", "status", "updated_at"])
        settings_change_record(instance=form, action=SettingsChange.Action.CHANGED, by=actor, detail={
            "name": form.name, "purpose": form.purpose, "owner_team": form.owner_team_id, "status": form.status})
        return form


@transaction.atomic
def form_draft_save(*, form, schema):
    """Replace the draft schema (refused, unchanged, with the path of each problem when it is invalid)."""
    schema_validate(schema)
    with tenant_scope(form.organization_id):
        form = Form.objects.select_for_update().get(pk=form.pk)
        form.draft_schema = schema
        form.updated_at = timezone.now()
        form.save(update_fields=["draft_schema", "updated_at"])
        return form


@transaction.atomic
def form_version_publish(*, form, actor=None, schema=None, key_map=None):
    """Freeze the draft (or `schema`, which then becomes the draft) as the next version and make it current.
    Earlier versions stay as they were, with their submissions. `key_map` (forms_builder.keymap) maps the keys of
    the current version the new one renamed, and names the retyped fields whose old answers are read as the new
    type; it is checked against both versions (and, for number → money, against the answers) before anything is
    written."""
    with tenant_scope(form.organization_id):
        form = Form.objects.select_for_update().get(pk=form.pk)
        _same_organization(form.organization_id, actor)
        schema = schema_validate(copy.deepcopy(schema if schema is not None else form.draft_schema))
        if not any(field["type"] != FieldType.INFO for field in schema_fields(schema)):
            raise FormError(MSG_NOTHING_TO_PUBLISH)
        previous = FormVersion.objects.filter(form=form).order_by("-number").first()
        key_map = _key_map_checked(form, previous, schema, key_map)
        number = (previous.number if previous else 0) + 1
        version = FormVersion.objects.create(organization_id=form.organization_id, form=form, number=number,
                                             schema=schema, key_map=key_map, published_by=actor)
        form.draft_schema = schema
        form.current_version = version
        form.status = Form.Status.PUBLISHED
        form.updated_at = timezone.now()
        form.save(update_fields=["draft_schema", "current_version", "status", "updated_at"])
        return version


def _key_map_checked(form, previous, schema, key_map):
    problems = key_map_problems(previous.schema if previous else None, schema, key_map)
    if problems:
        raise FormError(problems[0][1], problems=problems)
    key_map = key_map_clean(key_map)
    renames = key_map.get("renames", {})
    for change in key_changes(previous.schema if previous else None, schema, renames)["retyped"]:
        if change["key"] not in key_map.get("convert", ()) or change["to"] != FieldType.MONEY:
            continue
        # Every earlier answer of the field (under whichever key it had) must be whole fen.
        spec = next(s for s in answer_fields(form) if s["key"] == change["old_key"])
        for stored_key, _type in read_sources(spec):
            # In the database: an answer with a non-zero digit after the fen, or no number at all.
            lost = (FormSubmission.objects.filter(form=form, data__has_key=stored_key)
                    .annotate(answer=KeyTextTransform(stored_key, "data"))
                    .filter(Q(answer__regex=r"\.[0-9]{2}[0-9]*[1-9]") | ~Q(answer__regex=NUMBER_PATTERN))
                    .values_list("answer", flat=True).first())
            if lost is not None:
                message = MSG_MONEY_LOSS % {"key": change["key"], "value": lost}
                raise FormError(message, problems=[(f"key_map/convert/{change['key']}", message)])
    return key_map


@transaction.atomic
def form_settings_save(*, form, edit_days, captcha, webhook_url, webhook_secret="", actor=None, name=None,
                       owner_team=KEEP):
    """The form's settings beside its schema: its name and owner team (left as they are when not given; an
    owner team of None: none), how long customers may change their answers (0: never), the captcha, the webhook. A
    new secret replaces the stored one (kept encrypted); an empty one keeps it; a webhook
    needs a secret of WEBHOOK_SECRET_MIN characters or more; removing the URL forgets the secret. A new URL must
    pass outbound_url_check (no address of our own network, http/https only). Written to the
    settings audit trail (the URL as its origin, whether the secret changed; never the secret)."""
    with tenant_scope(form.organization_id):
        form = Form.objects.select_for_update().get(pk=form.pk)
        if owner_team is not KEEP:
            _same_organization(form.organization_id, owner_team)
            form.owner_team = owner_team
        if name is not None:
            form.name = name.strip() or form.name
        webhook_url = (webhook_url or "").strip()
        webhook_secret = (webhook_secret or "").strip()
        if webhook_url and webhook_url != form.webhook_url:
            try:
                outbound_url_check(webhook_url)  # http(s) to the public internet only (checked again at each send)
            except UnsafeURL as exc:
                raise FormError(exc, problems={"webhook_url": [str(exc)]}) from exc
        if webhook_secret and len(webhook_secret) < WEBHOOK_SECRET_MIN:
            raise FormError(MSG_WEBHOOK_SECRET % {"min": WEBHOOK_SECRET_MIN})
        if webhook_url and not (webhook_secret or form.webhook_secret):
            raise FormError(MSG_WEBHOOK_SECRET % {"min": WEBHOOK_SECRET_MIN})
        had_secret = bool(form.webhook_secret)
        form.edit_days = max(int(edit_days or 0), 0)
        form.captcha = bool(captcha)
        form.webhook_url = webhook_url
        if not webhook_url:
            form.webhook_secret = ""
        elif webhook_secret:
            form.webhook_secret = secret_encrypt(webhook_secret)
        form.updated_at = timezone.now()
        form.save(update_fields=["name", "owner_team", "edit_days", "captcha", "webhook_url", "webhook_secret",
                                 "updated_at"])
        settings_change_record(instance=form, action=SettingsChange.Action.CHANGED, by=actor, detail={
            "name": form.name, "owner_team": form.owner_team_id, "edit_days": form.edit_days, "captcha": form.captcha,
            "webhook": url_origin(webhook_url),
            "webhook_secret_changed": bool(webhook_secret) or (had_secret and not webhook_url)})
        return form


def captchas_expired_delete():
    """Delete the captcha answers (django-simple-captcha's table, not tenant data) whose picture has expired."""
    from captcha.models import CaptchaStore

    deleted, _per_model = CaptchaStore.objects.filter(expiration__lte=timezone.now()).delete()
    return deleted


def customer_form_link(*, form, customer):
    """The public link of `form` that links what `customer` submits to them (a signed identity token), e.g. for a
    WeChat reply: PUBLIC_BASE_URL/f/<organization>/<form>/?wx=<token>."""
    from django.urls import reverse

    _same_organization(form.organization_id, customer)
    path = reverse("forms_public:form", kwargs={"org": form.organization.slug, "slug": form.slug})
    return f"{settings.PUBLIC_BASE_URL}{path}?{IDENTITY_PARAM}={identity_token(form=form, customer=customer)}"


# Labels of a text field taken as the customer's name when no field is bound to customer.name.
NAME_LABELS = {"姓名", "名字", "称呼", "联系人", "客户姓名", "name", "your name", "full name"}


def _bound(schema, key):
    return next((f for f in schema_fields(schema) if f.get("bind") == key), None)


def _customer_for(organization, schema, answers):
    """The customer an intake submission belongs to: the one with the mobile answered to the field bound to
    customer.mobile, else a new customer (named by the customer.name field, else as a form visitor)."""
    mobile_field, name_field = _bound(schema, "customer.mobile"), _bound(schema, "customer.name")
    if name_field is None:
        name_field = next((f for f in schema_fields(schema) if f["type"] == FieldType.TEXT
                           and f["label"].strip().lower() in NAME_LABELS), None)
    if mobile_field is None:
        mobile_field = next((f for f in schema_fields(schema) if f["type"] == FieldType.MOBILE), None)
    # A text field bound to the mobile keeps the number as typed (the engine checked it reads as one); customers
    # hold it normalised.
    mobile = normalize_mobile(str(answers.get(mobile_field["key"], ""))) if mobile_field else ""
    if mobile:
        existing = (Customer.objects.filter(mobile=mobile, merged_into__isnull=True).order_by("pk").first())
        if existing is not None:
            return existing
    name = (answers.get(name_field["key"]) if name_field else "") or ""
    if not name:
        name = _("Form visitor %(tail)s") % {"tail": mask_mobile(mobile)[-4:] if mobile else ""}
    return customer_create(organization=organization, display_name=str(name)[:100].strip(), mobile=mobile,
                           source_channel=Channel.WEB_FORM)


def submission_validate(*, version, data, files=None, initial=None):
    """The answers the engine accepts for `version` (and the files to store), or FormError with each problem.
    `initial`: the answers stored before (an edit), so a file not sent again stays."""
    form = build_form(version.schema, data=data, files=files, initial=initial,
                      regions=region_choices_for(version.schema))
    if not form.is_valid():
        problems = {key: [str(message) for message in messages] for key, messages in form.errors.items()}
        raise FormError(MSG_SUBMISSION_INVALID, problems=problems)
    return form.answers, form.files_to_store


def answers_unmasked(*, schema, data, stored):
    """`data` (raw answers against `schema`) with each mobile answer sent back exactly as it was shown masked
    (submission_data(..., masked=True) of the `stored` answers, same key) put back to the stored number: a form
    pre-filled masked for a role that may not see the number keeps it when saved unchanged, and the stars are never
    stored (nor written back to a customer). A number typed there is kept as typed."""
    keys = [key for key in mobile_keys(schema) if (stored or {}).get(key) not in (None, "")]
    if not keys or data is None:
        return data
    data = raw_answers(data).copy()
    for key in keys:
        if "".join(data.getlist(key)).strip() == masked_mobile(stored[key]):
            data.setlist(key, [str(stored[key])])
    return data


def _store_files(submission, files, answers):
    for key, answer in files.items():
        upload = answer.upload
        stored = FormFile(organization_id=submission.organization_id, submission=submission, field_key=key,
                          original_name=upload.name[:255], size=upload.size)
        stored.file.save(upload.name, upload, save=False)
        stored.save()
        answers[key] = {"file_id": stored.pk, "name": stored.original_name, "size": stored.size}


# The sources that answer a form the way its public page does: a closed form takes no answers from them (staff
# filling a ticket's fields is not answering the form, and keeps the fields of a form closed since).
OPEN_FORMS_ONLY = (FormSubmission.Source.PUBLIC, FormSubmission.Source.API)
# A ticket-type fields form is answered only with its ticket (tickets.services.forms.ticket_fields_save, as staff):
# from the public page or the API its submission would belong to no ticket.
TICKET_FIELDS_SOURCES = (FormSubmission.Source.STAFF,)


@transaction.atomic
def form_submit(*, form, data, files=None, source=FormSubmission.Source.PUBLIC, customer=None, actor=None, ip=None,
                user_agent="", version=None, submit_key=""):
    """Validate `data` (a QueryDict or dict of raw answers) against the form's current version (or `version`)
    and store what the engine accepts, nothing else. An intake form's submission belongs to a customer (given,
    or found/created from its answers), and its handler (the tickets app) opens a routed ticket, in this same
    transaction. A customer given by the caller (a signed link, staff, a ticket) is verified: the answers of the
    CRM-bound fields write back to their profile. The form's webhook, if any, is queued.

    `submit_key`: the one-time key of the page that sent the answers. The same key sent again (a double tap, a
    browser posting again) writes nothing (no submission, customer, ticket or webhook) and returns the submission
    the first send made. The unique (organization, form, submit_key) decides, in a savepoint: of two sends at
    once, the second waits for the first and then finds its row. The submission returned carries `sent_before`:
    True when an earlier send of the key made it (the API answers such a retry 200, not 201)."""
    if not submit_key:
        submission = _form_submit(form=form, data=data, files=files, source=source, customer=customer, actor=actor,
                                  ip=ip, user_agent=user_agent, version=version)
        submission.sent_before = False
        return submission
    try:
        with transaction.atomic():
            submission = _form_submit(form=form, data=data, files=files, source=source, customer=customer,
                                      actor=actor, ip=ip, user_agent=user_agent, version=version,
                                      submit_key=submit_key)
    except IntegrityError:
        # Normally the key's constraint; whichever row the two sends collided on, the first send's submission
        # is committed by now (the second waited for it) and is the answer.
        with tenant_scope(form.organization_id):
            first = FormSubmission.objects.filter(form=form, submit_key=submit_key).first()
        if first is None:
            raise
        first.sent_before = True
        return first
    submission.sent_before = False
    return submission


def _form_submit(*, form, data, files, source, customer, actor, ip, user_agent, version, submit_key=""):
    with tenant_scope(form.organization_id):
        _same_organization(form.organization_id, customer, actor, version)
        version = version or form.current_version
        if version is None or (source in OPEN_FORMS_ONLY and not form.is_open):
            raise FormError(MSG_FORM_CLOSED)
        if form.purpose == Form.Purpose.TICKET_FIELDS and source not in TICKET_FIELDS_SOURCES:
            raise FormError(MSG_FIELDS_FORM_NOT_SUBMITTED)
        verified = customer is not None
        # A verified customer's bound name and mobile left empty (the page shows them masked only) are theirs.
        data = customer_fill(version.schema, customer, data)
        answers, to_store = submission_validate(version=version, data=data, files=files)
        if customer is None and form.purpose == Form.Purpose.INTAKE:
            customer = _customer_for(form.organization, version.schema, answers)
        submission = FormSubmission.objects.create(
            organization_id=form.organization_id, form=form, version=version, data=answers, customer=customer,
            customer_verified=verified, source=source, submitted_by=actor, ip=ip or None,
            user_agent=(user_agent or "")[:300], submit_key=submit_key,
        )
        if to_store:
            _store_files(submission, to_store, answers)
            submission.data = answers
            submission.save(update_fields=["data"])
        handler = submission_handler(form.purpose)
        if handler is not None:
            outcome = handler(submission=submission, routing=routing_for(version.schema.get("intake") or {}, answers),
                              actor=actor)
            if outcome:
                submission.outcome = outcome
                submission.save(update_fields=["outcome"])
        customer_write_back(submission)
        webhook_enqueue(submission)
        return submission


def _changes(schema, before, after):
    """[{"key", "label", "before", "after"}] of the answers that differ, as people read them."""
    regions = dict(region_choices()) if any(f["type"] == FieldType.REGION for f in schema_fields(schema)) else {}
    changes = []
    for field in schema_fields(schema):
        key = field["key"]
        if field["type"] in NO_VALUE_TYPES or before.get(key) == after.get(key):
            continue
        changes.append({"key": key, "label": field["label"],
                        "before": answer_display(field, before.get(key), region_names=regions),
                        "after": answer_display(field, after.get(key), region_names=regions)})
    return changes


@transaction.atomic
def submission_edit(*, submission, data, files=None, actor=None, by_customer=False):
    """Change a sent submission's answers, validated by the engine against the submission's own version (a file
    not sent again stays). Records who changed what (FormSubmissionChange, old → new per field), writes the bound
    answers back to a verified customer, and tells the edit listeners (the tickets app notes it on the ticket).
    A mobile answer sent back as the edit page showed it masked keeps the number stored (answers_unmasked).
    Refused, with nothing written, when the answers are invalid or change nothing."""
    with tenant_scope(submission.organization_id):
        _same_organization(submission.organization_id, actor)
        submission = (FormSubmission.objects.select_for_update(of=("self",))
                      .select_related("version", "form", "customer").get(pk=submission.pk))
        before = submission.data
        data = answers_unmasked(schema=submission.version.schema, data=data, stored=before)
        answers, to_store = submission_validate(version=submission.version, data=data, files=files, initial=before)
        if to_store:
            _store_files(submission, to_store, answers)
        changes = _changes(submission.version.schema, before, answers)
        if not changes:
            raise FormError(MSG_NOTHING_CHANGED)
        submission.data = answers
        submission.save(update_fields=["data"])
        change = FormSubmissionChange.objects.create(organization_id=submission.organization_id,
                                                     submission=submission, by=actor, by_customer=by_customer,
                                                     changes=changes)
        customer_write_back(submission)
        for listener in edit_listeners():
            listener(submission=submission, change=change)
        return submission
