"""Messages of partner settlement (rules, rates, partners, service jobs, statements) that tests import. Raised as
settlement.errors.SettlementError."""

from django.utils.translation import gettext_lazy as _

from scrm.platform.coded import coded_messages_register, coded_render
from settlement.errors import SettlementError

MSG_TIER_BAD_NUMBER = _("Rebate tier %(n)s: %(value)s is not a number.")
MSG_TIER_RATE = _("Rebate tier %(n)s: the rate %(value)s is not a fraction between 0 and 1 (0.02 for 2%%).")
MSG_TIER_UPPER_BELOW_LOWER = _("Rebate tier %(n)s: its upper bound must be above its lower bound.")
MSG_TIER_FIRST_NOT_ZERO = _("The first rebate tier must start at 0.")
MSG_TIER_OPEN_NOT_LAST = _("Rebate tier %(n)s has no upper bound: only the last tier may be open-ended.")
MSG_TIER_GAP = _("Rebate tiers leave a gap: tier %(n)s ends at %(to)s but the next starts at %(from)s.")
MSG_TIER_OVERLAP = _("Rebate tiers overlap: tier %(n)s ends at %(to)s but the next starts at %(from)s.")
MSG_RULE_SCOPE = _("A rule is either a region's or a partner's: choose one.")
MSG_RULE_OVERLAP = _("A rule of the same scope already starts on %(date)s: rule periods may not overlap. Give the "
                     "change a later start date.")
MSG_RULE_APPROVED_PERIOD = _("From %(date)s this rule would apply to the approved statement of %(partner)s for "
                             "%(start)s – %(end)s. Approved periods never change: start the rule after %(end)s.")
MSG_RULE_IN_USE = _("This rule settled approved statements: it can no longer change. Add a new rule with a later "
                    "start date instead.")
MSG_RATE_NOT_FRACTION = _("%(name)s must be a fraction between 0 and 1 (0.06 for 6%%).")
MSG_NEGATIVE = _("%(name)s may not be negative.")
MSG_BAD_CURRENCY = _("The currency %(value)s is not a three-letter ISO code.")
MSG_NO_RULE = _("No settlement rule applies to %(partner)s on %(date)s: add one for its region or for it.")
MSG_RATE_MISSING = _("No exchange rate %(base)s → %(quote)s for %(date)s (nor the %(days)s days before): add it "
                     "under exchange rates, then generate again.")
MSG_RATE_NOT_POSITIVE = _("An exchange rate must be a positive number.")
MSG_SAME_CURRENCY = _("An exchange rate converts between two different currencies.")
MSG_PARTNER_CODE_TAKEN = _("The partner code %(code)s is taken.")
MSG_STORE_TAKEN = _("The store %(store)s already settles to %(partner)s.")
MSG_BANK_ACCOUNT = _("The bank account number may hold only digits and spaces (8 to 34 digits).")
MSG_PERIOD = _("The period must end on or after its start.")
MSG_STATEMENT_LOCKED = _("The statement of %(partner)s for %(start)s – %(end)s is %(status)s and can no longer change; "
                         "a correction goes into the next period as an adjustment.")
MSG_STATEMENT_TRANSITION = _("The statement is %(status)s: this step is not possible now.")
# Two people see a payout before it is locked: whoever marked the statement reviewed may not approve it too.
MSG_STATEMENT_SELF_APPROVAL = _("You marked this statement reviewed: another finance user must approve it.")
MSG_STATEMENT_SELF_APPROVAL_ABOVE_LIMIT = _("You marked this statement reviewed and its payable is above %(limit)s "
                                            "%(currency)s: another finance user must approve it.")
MSG_STATEMENT_SELF_APPROVAL_WITHIN_LIMIT = _("The payable is at most %(limit)s %(currency)s: you, who marked it "
                                             "reviewed, may approve it yourself.")
MSG_STATEMENT_UNBALANCED = _("The statement's lines do not add up to its totals: regenerate it before approving.")
MSG_ADJUSTMENT_REASON = _("Say why: an adjustment needs a reason.")
MSG_ADJUSTMENT_ZERO = _("An adjustment of zero changes nothing.")
MSG_PAYMENT_REFERENCE = _("Give the bank's payment reference.")
# Paying a statement on its own that a later statement already carries (below the minimum payout) pays it twice.
MSG_STATEMENT_CARRIED = _("This statement is below the minimum payout and is carried into the statement of "
                          "%(start)s – %(end)s: it is paid with that one, not on its own.")
MSG_JOB_NO_PARTNER = _("Choose the partner who did the job.")
MSG_JOB_NO_ITEMS = _("Add at least one service item.")
MSG_JOB_NO_PRICE = _("%(item)s has no price for %(tier)s in %(region)s: add it to the service catalogue.")
MSG_JOB_STATUS = _("The job is %(status)s: this step is not possible now.")
MSG_JOB_QUANTITY = _("A quantity must be more than zero.")
MSG_JOB_QUANTITY_RANGE = _("A quantity is a number from %(min)s to %(max)s with at most two decimals; %(value)s is "
                           "not.")
MSG_PAYMENT_REFERENCE_TOO_LONG = _("A payment reference has at most %(limit)s characters; this one has %(length)s.")
MSG_PDF_FONT_MISSING = _("The PDF cannot be made: its Chinese font %(path)s is missing on the server. Install the "
                         "fonts-droid-fallback package or set SETTLEMENT_PDF_FONT to a TrueType font that covers "
                         "Chinese; the Excel export works meanwhile.")
MSG_ITEM_CODE_TAKEN = _("The service item code %(code)s is taken.")
MSG_ITEM_NAME = _("Give the service item a name.")
MSG_BAD_TIER = _("Unknown city tier: %(tier)s.")
MSG_NO_REGIONS = _("Choose at least one region of your organization.")

# Why a run left a partner out, by code: a run is a worker's job and stores each problem as {"partner", "code",
# "params"}; the page words it in the reader's language (scrm.platform.coded, codes in RUN_PROBLEMS_NAMESPACE).
RUN_PROBLEMS_NAMESPACE = "settlement.run"
RUN_PROBLEMS = coded_messages_register({
    "no_rule": MSG_NO_RULE,
    "rate_missing": MSG_RATE_MISSING,
}, namespace=RUN_PROBLEMS_NAMESPACE)


def refusal(code, /, **params):
    """The SettlementError of a RUN_PROBLEMS code, worded in the active language and carrying its code and
    parameters (as text) for a run to store."""
    params = {name: str(value) for name, value in params.items()}
    worded = coded_render({"code": code, "params": params}, namespace=RUN_PROBLEMS_NAMESPACE)
    return SettlementError(worded, code=code, params=params)
