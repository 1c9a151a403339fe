from django import forms
from django.utils.translation import gettext_lazy as _

from scrm.models import Customer, Segment, Tag, User


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
