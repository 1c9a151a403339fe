"""CRM binding: fields bound to the customer's profile (schema `bind`) read it and enrich it.

- Prefill: a form that knows its customer (opened through a signed WeChat link) starts with the customer's region
  and those of its tags that are options of the tags field. Name and mobile are never put in the page (the link is
  forwarded, and whoever sent it may not see them unmasked): their fields show them masked ("已绑定 138****5678"),
  and left empty they are filled from the customer when the submission is stored (`customer_fill`).
- Write-back: the answers of the mobile, region and tags fields go to the customer's profile, through the customer
  services (never a raw save), only for a submission whose customer is verified (a signed link, staff, a ticket):
  never for a customer guessed from a mobile someone typed on the public page, who could be anyone.
"""

from django.utils.translation import gettext as _

from forms_builder.engine import raw_answers
from forms_builder.schema import FieldType, schema_fields
from scrm.customers.phones import mask_mobile, mask_name, national_mobile
from scrm.customers.services import customer_update, customers_tag, customers_untag
from scrm.models import Customer, Region, Tag


def _bound(schema):
    return {field["bind"]: field for field in schema_fields(schema) if field.get("bind")}


def _option_values(field):
    return [option["value"] for option in field.get("options", ())]


def _private_values(schema, customer):
    """{field key: (the customer's value as typed in the field, the same masked)} of the fields bound to the name
    and the mobile: never sent to the page in full."""
    values = {}
    for bind, field in _bound(schema).items():
        if bind == "customer.name" and customer.display_name:
            values[field["key"]] = (customer.display_name, mask_name(customer.display_name))
        elif bind == "customer.mobile" and customer.mobile:
            values[field["key"]] = (national_mobile(customer.mobile), mask_mobile(customer.mobile))
    return values


def customer_prefill(schema, customer):
    """{field key: initial value} from the customer's profile for the region and tags fields bound to it (the name
    and the mobile: `customer_hints`)."""
    if customer is None:
        return {}
    initial = {}
    for bind, field in _bound(schema).items():
        key = field["key"]
        if bind == "customer.region" and customer.region_id:
            initial[key] = customer.region_id
        elif bind == "customer.tags":
            have = set(customer.tags.values_list("name", flat=True))
            chosen = [value for value in _option_values(field) if value in have]
            if chosen:
                initial[key] = chosen if field["type"] == FieldType.MULTI_CHOICE else chosen[0]
    return initial


def customer_hints(schema, customer):
    """{field key: placeholder} for the name and mobile fields bound to the customer: "已绑定 138****5678"."""
    if customer is None:
        return {}
    return {key: _("Bound: %(value)s (leave empty to keep it)") % {"value": masked}
            for key, (_value, masked) in _private_values(schema, customer).items()}


def customer_fill(schema, customer, data):
    """`data` (raw answers) with the name and mobile fields bound to `customer` that were left empty filled from
    the profile, so a required bound field passes; a value typed there is kept (and written back as usual)."""
    values = _private_values(schema, customer) if customer is not None else {}
    if not values or data is None:
        return data
    data = raw_answers(data).copy()
    for key, (value, _masked) in values.items():
        if not "".join(data.getlist(key)).strip():
            data.setlist(key, [value])
    return data


def customer_write_back(submission):
    """Write the bound answers of a verified submission to its customer; returns the names of what changed
    (["mobile", "region", "tags"]). The tags field manages the tags its options name: chosen ones are added,
    the others among its options taken away; an option that names no tag of the organization is left alone."""
    customer = submission.customer
    if customer is None or not submission.customer_verified:
        return []
    customer = Customer.objects.filter(pk=customer.pk).first()
    if customer is None or customer.merged_into_id:
        return []
    bound, answers, changed = _bound(submission.version.schema), submission.data, []
    fields = {}
    mobile_field = bound.get("customer.mobile")
    if mobile_field is not None and answers.get(mobile_field["key"]):
        fields["mobile"] = answers[mobile_field["key"]]
    region_field = bound.get("customer.region")
    if region_field is not None and answers.get(region_field["key"]):
        region = Region.objects.filter(pk=answers[region_field["key"]]).first()
        if region is not None:
            fields["region"] = region
    if fields:
        customer, changed = customer_update(customer=customer, **fields)
    tags_field = bound.get("customer.tags")
    if tags_field is not None:
        answer = answers.get(tags_field["key"])
        chosen = set(answer if isinstance(answer, list) else [answer] if answer else [])
        managed = {tag.name: tag for tag in Tag.objects.filter(name__in=_option_values(tags_field))}
        have = set(customer.tags.filter(pk__in=[tag.pk for tag in managed.values()]).values_list("name", flat=True))
        add = [tag for name, tag in managed.items() if name in chosen and name not in have]
        remove = [tag for name, tag in managed.items() if name not in chosen and name in have]
        if add:
            customers_tag(customers=[customer], tags=add)
        if remove:
            customers_untag(customers=[customer], tags=remove)
        if add or remove:
            changed.append("tags")
    return changed
