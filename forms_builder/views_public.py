"""The public form page, /f/<organization slug>/<form slug>/: no sign-in, mobile first, Chinese by default.

What the page shows and hides as people type is only a courtesy (static/js/forms_public.js); `form_submit`
validates every answer again with the logic, and stores nothing it does not allow. A POST carries Django's CSRF
token; a filled honeypot is thanked and dropped; each address has a budget of submissions per form; a form with
the captcha on refuses a wrong answer to it before anything is stored.

Opened with `?wx=<signed identity token>` (a link our code sent, e.g. in a WeChat reply), the page starts from the
customer's profile (name and mobile only masked, as placeholders) and the submission is linked to that customer;
any token that does not verify is ignored, silently. After sending, a customer may change their answers through a
signed link while the form allows it.
"""

import re
import secrets

from captcha.fields import CaptchaField
from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from forms_builder.crm import customer_hints, customer_prefill
from forms_builder.engine import build_form, initial_values, logic_rules, region_tree
from forms_builder.errors import (
    MSG_CAPTCHA_WRONG,
    MSG_EDIT_CLOSED,
    MSG_FILE_AGAIN,
    MSG_FORM_CLOSED,
    MSG_FORM_PAUSED,
    MSG_RATE_LIMITED,
    FormError,
)
from forms_builder.models import Form, FormSubmission
from forms_builder.ratelimit import submit_allowed
from forms_builder.schema import FieldType
from forms_builder.selectors import (
    public_form,
    public_organization,
    region_choices_for,
    submission_answers_for_customer,
    submission_by_key,
    submission_for_edit,
    submission_thanks,
    suspended_organization,
)
from forms_builder.services import form_submit, submission_edit
from forms_builder.tokens import (
    IDENTITY_PARAM,
    REFERENCE_PARAM,
    edit_deadline,
    edit_open,
    edit_submission_id,
    edit_token,
    identity_customer_id,
    reference_submission_id,
    reference_token,
)
from scrm.forms import bootstrap
from scrm.models import Customer
from scrm.platform.http import client_ip
from scrm.platform.tenancy import tenant_scope

TEMPLATE = "forms_builder/public/form.html"
HONEYPOT = "_hp"  # field keys start with a letter, so no field can be called this
IDENTITY_FIELD = "_wx"  # the identity token, carried from the link into the POST
CAPTCHA_PREFIX = "_captcha"
SUBMIT_KEY_FIELD = "_key"  # the page's one-time key: one submission per page, however often it is sent
SUBMIT_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def submit_key_new():
    return secrets.token_urlsafe(24)


def submit_key_sent(data):
    """The one-time key a POST carries, or "" (a page from before the keys, the API, anything malformed)."""
    key = data.get(SUBMIT_KEY_FIELD, "")
    return key if isinstance(key, str) and SUBMIT_KEY_PATTERN.fullmatch(key) else ""


class CaptchaForm(forms.Form):
    """The captcha beside the honeypot (django-simple-captcha: a picture made here, its answer in our database)."""

    captcha = CaptchaField(label=_("Type the characters in the picture"),
                           error_messages={"invalid": MSG_CAPTCHA_WRONG, "required": MSG_CAPTCHA_WRONG})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix=CAPTCHA_PREFIX, **kwargs)
        self.fields["captcha"].widget.attrs.update({"class": "form-control", "autocomplete": "off",
                                                    "inputmode": "text"})


def identity_customer(form, token):
    """The customer a signed identity token names for this form, or None: an invalid, expired or tampered token,
    or one naming a customer this organization does not have, links nothing (and says nothing)."""
    customer_id = identity_customer_id(token, form=form)
    if customer_id is None:
        return None
    customer = Customer.objects.filter(pk=customer_id).select_related("merged_into").first()
    if customer is not None and customer.merged_into_id:
        customer = customer.merged_into  # merged since the link was sent: the record that lives on
    return customer


def sections_for_display(schema, bound, notes=None):
    """[{"title", "fields": [{"spec", "field" (bound field or None for an info block), "note"}]}] for the
    templates; `notes`: {field key: a line shown under that field}."""
    notes = notes or {}
    sections = []
    for section in schema["sections"]:
        fields = [{"spec": spec, "field": bound[spec["key"]] if spec["key"] in bound.fields else None,
                   "note": notes.get(spec["key"], "")}
                  for spec in section["fields"]]
        for item in fields:
            if item["field"] is not None and item["field"].errors:
                mark_invalid(item["field"])
        sections.append({"title": section.get("title", ""), "fields": fields})
    return sections


def mark_invalid(bound_field):
    """A refused answer's control shows it was refused, not only the message under it (on a phone the message may
    be off screen while the box is not): Bootstrap's red `.is-invalid` on the control (each box of a choice or
    checkbox group), and `aria-describedby` naming its error text (`<auto id>_error` in _field.html), after its
    help when it has one. Django adds `aria-invalid="true"` itself to any field with errors."""
    widget = bound_field.field.widget
    classes = widget.attrs.get("class", "").split()
    if "is-invalid" not in classes:
        widget.attrs["class"] = " ".join([*classes, "is-invalid"])
    if bound_field.auto_id:
        # Set on the widget, so the boxes of a radio or checkbox group (which Django leaves undescribed) get it too.
        described = [f"{bound_field.auto_id}_helptext"] if bound_field.help_text else []
        widget.attrs["aria-describedby"] = " ".join([*described, f"{bound_field.auto_id}_error"])
    return bound_field


def style_widgets(form):
    """Bootstrap classes on the widgets of a schema form (the engine knows no CSS): `bootstrap`, and a rating's
    boxes hidden behind their star buttons (Bootstrap's .btn-check), so a phone shows five buttons, not five stray
    circles beside them."""
    bootstrap(form)
    for spec in getattr(form, "schema_fields", ()):
        if spec["type"] == FieldType.RATING and spec["key"] in form.fields:
            form.fields[spec["key"]].widget.attrs["class"] = "btn-check"
    return form


def files_to_choose_again(bound, files):
    """{field key: message} for each file the customer sent with a page that was refused for another answer: the
    page comes back with its file boxes empty (a browser cannot be handed a file), so each says so beside it
    rather than the photo going missing from the next send."""
    if not files:
        return {}
    return {key: MSG_FILE_AGAIN % {"name": files[key].name} for key in files
            if key in bound.fields and key not in bound.errors}


def with_problems(bound, problems):
    """`bound` (the answers as sent back, so as the page showed them) with the problems the service found beside
    their fields (FormError.problems). Not validated again on the page: a mobile sent back masked (139****0001)
    reads as no number, while the service checked the number it stands for."""
    bound.is_valid()
    bound.errors.clear()
    for key, messages_ in (problems.items() if isinstance(problems, dict) else ()):
        bound.errors[key] = bound.error_class(messages_)
    return bound


def thanks_url(org, slug, form, submission, *, edited=False):
    """Where a send is thanked: the same address for the same submission (a page sent twice lands on one), with
    the signed reference of the submission and, while the form allows edits, its edit link."""
    query = {REFERENCE_PARAM: reference_token(submission)}
    if edited:
        query["edited"] = "1"
    if form.edit_days:
        query["edit"] = edit_token(submission)
    return f"{reverse('forms_public:thanks', kwargs={'org': org, 'slug': slug})}?{urlencode(query)}"


class FormPaused(Exception):
    """The form's organization is suspended: the page says the form takes no answers for now (and stores nothing)."""

    def __init__(self, organization, form):
        super().__init__(form.name)
        self.organization, self.form = organization, form


def load_organization(org, slug):
    """The organization of a public form's address, open for answers; FormPaused when the platform has suspended
    it (and the form exists); Http404 otherwise."""
    organization = public_organization(org)
    if organization is not None:
        return organization
    suspended = suspended_organization(org)
    if suspended is not None:
        with tenant_scope(suspended):
            form = public_form(slug)
        if form is not None:
            raise FormPaused(suspended, form)
    raise Http404


class PausedAware:
    """A public form view that answers a suspended organization's form with a page saying so (HTTP 503: it may
    come back), whatever the method; nothing is read from the request or stored."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except FormPaused as paused:
            return render(request, TEMPLATE, {"organization": paused.organization, "form": paused.form,
                                              "closed": MSG_FORM_PAUSED}, status=503)


@method_decorator(never_cache, name="dispatch")
class PublicFormView(PausedAware, View):
    def _load(self, org, slug):
        return load_organization(org, slug)

    def _render(self, request, organization, form, bound, *, regions, error="", status=200, identity="",
                captcha=None, customer=None, files=None, submit_key=""):
        version = form.current_version
        for key, hint in customer_hints(version.schema, customer).items():
            if key in bound.fields:
                bound.fields[key].widget.attrs["placeholder"] = hint
        context = {
            "organization": organization, "form": form, "version": version, "bound": style_widgets(bound),
            "sections": sections_for_display(version.schema, bound, files_to_choose_again(bound, files)),
            "logic": logic_rules(version.schema), "regions": region_tree(version.schema, regions),
            "error": error, "honeypot": HONEYPOT, "submit_label": version.schema.get("submit_label", ""),
            "identity_field": IDENTITY_FIELD, "identity": identity,
            "captcha": (captcha or CaptchaForm()) if form.captcha else None,
            # A page sent back refused keeps its key: sent again, it is still the same page.
            "submit_key_field": SUBMIT_KEY_FIELD, "submit_key": submit_key or submit_key_new(),
        }
        return render(request, TEMPLATE, context, status=status)

    def get(self, request, org, slug):
        organization = self._load(org, slug)
        with tenant_scope(organization):
            form = public_form(slug)
            if form is None or form.current_version_id is None:
                raise Http404
            if not form.is_open:
                return render(request, TEMPLATE, {"organization": organization, "form": form,
                                                  "closed": MSG_FORM_CLOSED}, status=410)
            schema = form.current_version.schema
            token = request.GET.get(IDENTITY_PARAM, "")
            customer = identity_customer(form, token)
            # The customer's profile first, then what the link's own parameters say.
            initial = {**customer_prefill(schema, customer), **initial_values(schema, request.GET)}
            regions = region_choices_for(schema)
            bound = build_form(schema, initial=initial, regions=regions)
            return self._render(request, organization, form, bound, regions=regions,
                                identity=token if customer else "", customer=customer)

    def post(self, request, org, slug):
        organization = self._load(org, slug)
        with tenant_scope(organization):
            form = public_form(slug)
            if form is None or form.current_version_id is None:
                raise Http404
            if request.POST.get(HONEYPOT):
                return redirect("forms_public:thanks", org=org, slug=slug)  # a bot: thanked, nothing stored
            schema = form.current_version.schema
            regions = region_choices_for(schema)
            bound = build_form(schema, data=request.POST, files=request.FILES, regions=regions)
            token = request.POST.get(IDENTITY_FIELD, "")
            customer = identity_customer(form, token)
            identity = token if customer else ""
            submit_key = submit_key_sent(request.POST)
            # This page was sent already (a second tap, a browser posting again): thanked as the first send was,
            # before the budget or the captcha (used up by the first send) could refuse it. Only a shortcut: of two
            # sends at once, form_submit's unique key makes one submission.
            sent = submission_by_key(form=form, key=submit_key)
            if sent is not None:
                return redirect(thanks_url(org, slug, form, sent))
            if not submit_allowed(form_id=form.pk, client=client_ip(request)):
                return self._render(request, organization, form, bound, regions=regions, error=MSG_RATE_LIMITED,
                                    status=429, identity=identity, customer=customer, files=request.FILES,
                                    submit_key=submit_key)
            if form.captcha:
                captcha = CaptchaForm(request.POST)
                if not captcha.is_valid():
                    # A new picture: the one answered is used up, right or wrong.
                    return self._render(request, organization, form, bound, regions=regions,
                                        error=MSG_CAPTCHA_WRONG, status=400, identity=identity,
                                        captcha=CaptchaForm(), customer=customer, files=request.FILES,
                                        submit_key=submit_key)
            try:
                submission = form_submit(
                    form=form, data=request.POST, files=request.FILES, source=FormSubmission.Source.PUBLIC,
                    customer=customer, ip=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""), submit_key=submit_key)
            except FormError as exc:
                if form.status != Form.Status.PUBLISHED:
                    return render(request, TEMPLATE, {"organization": organization, "form": form,
                                                      "closed": MSG_FORM_CLOSED}, status=410)
                bound.is_valid()  # the same engine: shows each problem beside its field
                return self._render(request, organization, form, bound, regions=regions, error=str(exc),
                                    status=400, identity=identity, customer=customer, files=request.FILES,
                                    submit_key=submit_key)
            return redirect(thanks_url(org, slug, form, submission))


@method_decorator(never_cache, name="dispatch")
class PublicFormThanksView(PausedAware, View):
    def get(self, request, org, slug):
        organization = load_organization(org, slug)
        with tenant_scope(organization):
            form = public_form(slug)
            if form is None or form.current_version_id is None:
                raise Http404
            thanks = submission_thanks(form=form, submission_id=reference_submission_id(
                request.GET.get(REFERENCE_PARAM, ""), form=form))
            context = {"organization": organization, "form": form,
                       "thank_you": form.current_version.schema.get("thank_you", "") or thanks["message"],
                       "edited": request.GET.get("edited") == "1", "reference": thanks["reference"]}
            token = request.GET.get("edit", "")
            submission = submission_for_edit(form=form, submission_id=edit_submission_id(token, form=form))
            if submission is not None and edit_open(submission, form):
                context["edit_url"] = reverse("forms_public:edit", kwargs={"org": org, "slug": slug, "token": token})
                context["edit_until"] = edit_deadline(submission, form)
            return render(request, "forms_builder/public/thanks.html", context)


@method_decorator(never_cache, name="dispatch")
class PublicSubmissionEditView(View):
    """/f/<org>/<form>/edit/<token>/: the customer changes what they sent, through the signed link they were given,
    while the form allows it (its number of days from the submission). The submission's own version renders and
    validates it. A link that no longer works says so, and changes nothing."""

    def dispatch(self, request, org, slug, token):
        try:
            organization = load_organization(org, slug)
        except FormPaused as paused:
            return render(request, TEMPLATE, {"organization": paused.organization, "form": paused.form,
                                              "closed": MSG_FORM_PAUSED}, status=503)
        with tenant_scope(organization):
            form = public_form(slug)
            if form is None:
                raise Http404
            submission = submission_for_edit(form=form, submission_id=edit_submission_id(token, form=form))
            if submission is None or not edit_open(submission, form):
                return render(request, TEMPLATE, {"organization": organization, "form": form,
                                                  "closed": MSG_EDIT_CLOSED}, status=410)
            self.organization, self.form, self.submission = organization, form, submission
            return super().dispatch(request, org=org, slug=slug, token=token)

    def _page(self, request, bound, *, error="", status=200, files=None):
        submission = self.submission
        schema = submission.version.schema
        context = {
            "organization": self.organization, "form": self.form, "version": submission.version,
            "bound": style_widgets(bound),
            "sections": sections_for_display(schema, bound, files_to_choose_again(bound, files)),
            "logic": logic_rules(schema), "error": error, "honeypot": HONEYPOT, "submit_label": "", "editing": True,
            "edit_until": edit_deadline(submission, self.form),
        }
        return render(request, TEMPLATE, context, status=status)

    def get(self, request, org, slug, token):
        submission = self.submission
        return self._page(request, build_form(submission.version.schema,
                                              initial=submission_answers_for_customer(submission),
                                              regions=region_choices_for(submission.version.schema)))

    def post(self, request, org, slug, token):
        submission = self.submission
        if not submit_allowed(form_id=self.form.pk, client=client_ip(request)):
            bound = build_form(submission.version.schema, data=request.POST,
                               regions=region_choices_for(submission.version.schema))
            return self._page(request, bound, error=MSG_RATE_LIMITED, status=429)
        try:
            submission_edit(submission=submission, data=request.POST, files=request.FILES, by_customer=True)
        except FormError as exc:
            bound = build_form(submission.version.schema, data=request.POST, files=request.FILES,
                               initial=submission.data, regions=region_choices_for(submission.version.schema))
            bound.is_valid()
            return self._page(request, bound, error=str(exc), status=400, files=request.FILES)
        return redirect(thanks_url(org, slug, self.form, submission, edited=True))
