"""CRM binding: fields bound to the customer's profile (schema `bind`) read it and enrich it.

- Prefill: a form that knows its customer (opened through a signed WeChat link) starts with the customer's name,
  mobile, region and those of its tags that are options of the tags field.
- Write-back: the answers of the mobile, region and tags fields go to the customer's profile, through the customer
  services (never a raw save), only for a submission whose customer is verified (a signed link, staff, a ticket):
  never for a customer guessed from a mobile someone typed on the public page, who could be anyone.
"""

from forms_builder.schema import FieldType, schema_fields
from scrm.customers.services import customer_update, customers_tag, customers_untag
from scrm.models import Customer, Region, Tag


def _bound(schema):
    return {field["bind"]: field for field in schema_fields(schema) if field.get("bind")}


def _option_values(field):
    return [option["value"] for option in field.get("options", ())]


def customer_prefill(schema, customer):
    """{field key: initial value} from the customer's profile for the fields bound to it."""
    if customer is None:
        return {}
    initial = {}
    for bind, field in _bound(schema).items():
        key = field["key"]
        if bind == "customer.name" and customer.display_name:
            initial[key] = customer.display_name
        elif bind == "customer.mobile" and customer.mobile:
            initial[key] = customer.mobile
        elif bind == "customer.region" and customer.region_id:
            initial[key] = customer.region_id
        elif bind == "customer.tags":
            have = set(customer.tags.values_list("name", flat=True))
            chosen = [value for value in _option_values(field) if value in have]
            if chosen:
                initial[key] = chosen if field["type"] == FieldType.MULTI_CHOICE else chosen[0]
    return initial


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
