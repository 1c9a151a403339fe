"""The public form page, /f/<organization slug>/<form slug>/: no sign-in, mobile first, Chinese by default.

What the page shows and hides as people type is only a courtesy (static/js/forms_public.js); `form_submit`
validates every answer again with the logic, and stores nothing it does not allow. A POST carries Django's CSRF
token; a filled honeypot is thanked and dropped; each address has a budget of submissions per form.
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from forms_builder.engine import build_form, initial_values, logic_rules, region_tree
from forms_builder.errors import MSG_FORM_CLOSED, MSG_RATE_LIMITED, FormError
from forms_builder.models import Form, FormSubmission
from forms_builder.ratelimit import submit_allowed
from forms_builder.selectors import public_form, public_organization, region_choices_for
from forms_builder.services import form_submit
from scrm.platform.http import client_ip
from scrm.platform.tenancy import tenant_scope

TEMPLATE = "forms_builder/public/form.html"
HONEYPOT = "_hp"  # field keys start with a letter, so no field can be called this


def sections_for_display(schema, bound):
    """[{"title", "fields": [{"spec", "field" (bound field or None for an info block)}]}] for the templates."""
    sections = []
    for section in schema["sections"]:
        fields = [{"spec": spec, "field": bound[spec["key"]] if spec["key"] in bound.fields else None}
                  for spec in section["fields"]]
        sections.append({"title": section.get("title", ""), "fields": fields})
    return sections


def style_widgets(form):
    """Bootstrap classes on the widgets of a schema form (the engine knows no CSS)."""
    for field in form.fields.values():
        widget = field.widget
        kind = getattr(widget, "input_type", "")
        if kind in ("radio", "checkbox"):
            widget.attrs.setdefault("class", "form-check-input")
        elif widget.__class__.__name__ == "Select":
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
    return form


@method_decorator(never_cache, name="dispatch")
class PublicFormView(View):
    def _load(self, org, slug):
        organization = public_organization(org)
        if organization is None:
            raise Http404
        return organization

    def _render(self, request, organization, form, bound, *, regions, error="", status=200):
        version = form.current_version
        context = {
            "organization": organization, "form": form, "version": version, "bound": style_widgets(bound),
            "sections": sections_for_display(version.schema, bound), "logic": logic_rules(version.schema),
            "regions": region_tree(version.schema, regions),
            "error": error, "honeypot": HONEYPOT, "submit_label": version.schema.get("submit_label", ""),
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
            regions = region_choices_for(schema)
            bound = build_form(schema, initial=initial_values(schema, request.GET), regions=regions)
            return self._render(request, organization, form, bound, regions=regions)

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
            if not submit_allowed(form_id=form.pk, client=client_ip(request)):
                return self._render(request, organization, form, bound, regions=regions, error=MSG_RATE_LIMITED,
                                    status=429)
            try:
                form_submit(form=form, data=request.POST, files=request.FILES, source=FormSubmission.Source.PUBLIC,
                            ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
            except FormError as exc:
                if form.status != Form.Status.PUBLISHED:
                    return render(request, TEMPLATE, {"organization": organization, "form": form,
                                                      "closed": MSG_FORM_CLOSED}, status=410)
                bound.is_valid()  # the same engine: shows each problem beside its field
                return self._render(request, organization, form, bound, regions=regions, error=str(exc), status=400)
            return redirect("forms_public:thanks", org=org, slug=slug)


@method_decorator(never_cache, name="dispatch")
class PublicFormThanksView(View):
    def get(self, request, org, slug):
        organization = public_organization(org)
        if organization is None:
            raise Http404
        with tenant_scope(organization):
            form = public_form(slug)
            if form is None or form.current_version_id is None:
                raise Http404
            thank_you = form.current_version.schema.get("thank_you", "")
            return render(request, "forms_builder/public/thanks.html",
                          {"organization": organization, "form": form, "thank_you": thank_you})
