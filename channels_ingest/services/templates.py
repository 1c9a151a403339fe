"""WeChat template messages: configured per Official Account by ops, sent by an agent from a ticket once the
48-hour customer-service window has closed, through the same reply outbox (kind "wechat_reply") as any reply.

A template's fields are written one per line as `key = text`, the text with placeholders filled from the ticket:
{ticket_number}, {ticket_subject}, {customer_name}, {agent_name} and {text} (the agent's own words)."""

import string

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from channels_ingest.errors import ChannelError
from channels_ingest.models import ChannelAccount, WeChatTemplate
from channels_ingest.services.outbound import outbound_create
from scrm.platform.audit import settings_change_record
from scrm.platform.tenancy import tenant_scope
from tickets.outbound import ReplyTemplate

PLACEHOLDERS = ("ticket_number", "ticket_subject", "customer_name", "agent_name", "text")
MSG_TEMPLATE_FIELDS = _("Write one field per line as key = text, e.g. first = 您的工单 {ticket_number} 有新进展.")
MSG_TEMPLATE_FIELD_LINE = _("Line %(line)s: write key = text (the key as WeChat shows it, letters, digits and _).")
MSG_TEMPLATE_PLACEHOLDER = _("Line %(line)s: unknown placeholder {%(name)s}; use %(known)s.")
MSG_TEMPLATE_NAME_TAKEN = _("This account already has a template message called %(name)s.")
MSG_TEMPLATE_OA_ONLY = _("Template messages are sent by WeChat Official Accounts only.")
MSG_TEMPLATE_ID = _("Give the template ID WeChat shows for the template.")


def template_fields_parse(text):
    """`key = text` lines -> [[key, text], ...]; refused with the line's number when one is not."""
    fields, seen = [], set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not key.replace("_", "").isalnum() or not key.isascii() or key in seen:
            raise ChannelError(MSG_TEMPLATE_FIELD_LINE % {"line": number})
        try:
            names = {name for _literal, name, _spec, _conv in string.Formatter().parse(value) if name is not None}
        except ValueError as exc:
            raise ChannelError(MSG_TEMPLATE_FIELD_LINE % {"line": number}) from exc
        for name in names - set(PLACEHOLDERS):
            raise ChannelError(MSG_TEMPLATE_PLACEHOLDER % {
                "line": number, "name": name, "known": ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)})
        seen.add(key)
        fields.append([key, value])
    if not fields:
        raise ChannelError(MSG_TEMPLATE_FIELDS)
    return fields


def template_fields_text(template):
    return "\n".join(f"{key} = {value}" for key, value in template.fields)


@transaction.atomic
def wechat_template_save(*, account, name, template_id, fields_text, by, template=None):
    """Create (template=None) or change a template message of an Official Account; audited."""
    if account.kind != ChannelAccount.Kind.WECHAT_OA:
        raise ChannelError(MSG_TEMPLATE_OA_ONLY)
    name, template_id = name.strip(), template_id.strip()
    if not template_id:
        raise ChannelError(MSG_TEMPLATE_ID)
    fields = template_fields_parse(fields_text)
    with tenant_scope(account.organization_id):
        creating = template is None
        template = template or WeChatTemplate(organization_id=account.organization_id, account=account)
        template.name, template.template_id, template.fields = name, template_id, fields
        try:
            with transaction.atomic():
                template.save()
        except IntegrityError as exc:
            raise ChannelError(MSG_TEMPLATE_NAME_TAKEN % {"name": name}) from exc
        settings_change_record(instance=template, action="create" if creating else "update", by=by,
                               detail={"template_id": template_id, "fields": [k for k, _v in fields]})
        return template


@transaction.atomic
def wechat_template_delete(*, template, by):
    with tenant_scope(template.organization_id):
        settings_change_record(instance=template, action="delete", by=by)
        template.delete()


def _account_of(ticket):
    slug, _sep, to_user = ticket.source_ref.partition(":")
    if not to_user:
        return None, ""
    account = ChannelAccount.objects.filter(slug=slug, kind=ChannelAccount.Kind.WECHAT_OA).first()
    return account, to_user


def ticket_templates(ticket):
    """The template source's list: the templates of the Official Account the ticket's conversation is on."""
    with tenant_scope(ticket.organization_id):
        account, _to_user = _account_of(ticket)
        if account is None:
            return []
        return [ReplyTemplate(key=str(t.pk), name=t.name, fields=tuple(k for k, _v in t.fields),
                              uses_text=any("{text}" in v for _k, v in t.fields))
                for t in WeChatTemplate.objects.filter(account=account)]


def ticket_template_prepare(ticket, key, *, text, author):
    """The template source's prepare: (the message as the customer reads it, the outbox payload), or None."""
    if not str(key).isdigit():
        return None
    with tenant_scope(ticket.organization_id):
        account, _to_user = _account_of(ticket)
        template = WeChatTemplate.objects.filter(pk=int(key), account=account).first() if account else None
        if template is None:
            return None
        values = {"ticket_number": ticket.number, "ticket_subject": ticket.subject,
                  "customer_name": ticket.customer.display_name if ticket.customer_id else "",
                  "agent_name": str(author) if author else "", "text": text}
        data = {field: {"value": value.format_map(values)} for field, value in template.fields}
        body = "\n".join([f"【{template.name}】", *(d["value"] for d in data.values() if d["value"])])
        return body, {"template_id": template.template_id, "data": data}


def ticket_template_enqueue(comment_id, payload, *, organization_id):
    """The template source's enqueue: the reply outbox's row for the comment, carrying the template."""
    return outbound_create(organization_id=organization_id, comment_id=comment_id,
                           template_id=payload["template_id"], template_data=payload["data"])
