from django import forms
from django.utils.translation import gettext_lazy as _

from scrm.customers.phones import InvalidMobile, normalize_mobile
from scrm.customers.selectors import customer_with_mobile
from scrm.customers.services import CUSTOMER_EDITABLE, CUSTOMER_NOTES_MAX_LENGTH
from scrm.forms import bootstrap
from scrm.models import Customer, Region, Segment, Tag, User
from scrm.text import CleanCharField

MSG_MOBILE_HELD = _("%(name)s already has this mobile. Open them from the warning below (and merge if they are the "
                    "same person), or tick “Save anyway” if this is someone else.")


class BulkActionForm(forms.Form):
    ACTIONS = [
        ("tag", _("Add tag")),
        ("untag", _("Remove tag")),
        ("owner", _("Set owner")),
    ]

    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    ids = forms.ModelMultipleChoiceField(queryset=Customer.objects.none(), label=_("Customers"),
                                         error_messages={"required": _("Select at least one customer.")})
    tag = forms.ModelChoiceField(queryset=Tag.objects.none(), required=False, label=_("Tag"))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Owner"))

    def __init__(self, *args, customers, tags, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].queryset = customers
        self.fields["tag"].queryset = tags
        self.fields["owner"].queryset = owners

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in ("tag", "untag") and not data.get("tag"):
            self.add_error("tag", _("Choose the tag."))
        if action == "owner" and not data.get("owner"):
            self.add_error("owner", _("Choose the owner."))
        return data


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "query"]
        widgets = {"query": forms.HiddenInput}


class CustomerForm(forms.Form):
    """A customer created or edited by hand. Mobile and real name are personal data: on the edit page they are
    never filled in (that would show them to roles that may not see them); left empty, they stay as they are."""

    display_name = CleanCharField(label=_("Display name"), max_length=100)
    real_name = CleanCharField(label=_("Real name"), max_length=50, required=False)
    mobile = CleanCharField(label=_("Mobile"), max_length=32, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    region = forms.ModelChoiceField(queryset=Region.objects.none(), required=False, label=_("Region"),
                                    empty_label=_("None"))
    level = forms.ChoiceField(label=_("Level"), choices=Customer.Level.choices, initial=Customer.Level.NORMAL)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Owner"),
                                   empty_label=_("None"))
    notes = CleanCharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           max_length=CUSTOMER_NOTES_MAX_LENGTH)
    keep_duplicate_mobile = forms.BooleanField(
        label=_("Save anyway: this is a different person with the same mobile"), required=False)

    def __init__(self, *args, regions, owners, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["region"].queryset = regions
        self.fields["owner"].queryset = owners
        if customer is not None:
            for name in ("real_name", "mobile"):
                self.fields[name].help_text = _("Leave empty to keep it as it is.")
        bootstrap(self)

    def clean_mobile(self):
        try:
            return normalize_mobile(self.cleaned_data["mobile"])
        except InvalidMobile as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        mobile = data.get("mobile")
        holder = customer_with_mobile(mobile=mobile, exclude_pk=self.customer.pk if self.customer else None)
        if holder is not None and not data.get("keep_duplicate_mobile"):
            self.duplicate = holder
            self.add_error("mobile", MSG_MOBILE_HELD % {"name": holder.display_name})
        return data

    def changes(self):
        """The fields to write (on the edit page, empty personal data means "keep": customer_update's rule)."""
        return {name: self.cleaned_data[name] for name in CUSTOMER_EDITABLE}
