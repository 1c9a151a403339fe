"""Mobile numbers: parse and normalise (China by default) and mask for display."""

import phonenumbers
from django.utils.translation import gettext_lazy as _

MSG_BAD_MOBILE = _("“%(value)s” is not a valid mobile number.")


class InvalidMobile(ValueError):
    pass


def normalize_mobile(value, region="CN"):
    """Return E.164 ("+8613812345678") for a valid number, "" for an empty value; raise InvalidMobile otherwise.

    Accepts what people type: spaces, dashes, a leading +86 or 0086.
    """
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidMobile(MSG_BAD_MOBILE % {"value": value}) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidMobile(MSG_BAD_MOBILE % {"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_mobile(e164):
    """The number as people in China write it: 13812345678 (or the international form for other countries)."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    if number.country_code == 86:
        return str(number.national_number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_mobile(e164):
    """138****5678: the first three and last four digits of the national number."""
    national = national_mobile(e164)
    digits = national.replace(" ", "")
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_name(name):
    """张** / 欧阳*: keep the first character."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def name_is_masked(name):
    """What mask_name gives (张** / 张* / a lone * for a one-character name): only stars after the first character,
    or only stars."""
    return bool(name) and set(name[1:] or name) == {"*"}
