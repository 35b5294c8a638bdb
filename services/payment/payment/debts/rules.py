"""What a debt is, pure: the liability it names, its kind, and its due date.

A debt is paid with a billing code of its KAP-KJS, so it names a liability the way a code does (tax-rules §4.3): a
KAP-KJS that pays an STP or SKP (KJS 300/310/320) is keyed by the assessment's number, any other by its tax period.
An STP/SKP may also say which period it is about; that period is kept on the debt for the reader, but the number is
the key. The KAP-KJS of the deposit is not a debt. An STP or SKP is due 1 month after it is issued (tax-rules §6.3,
UU KUP Art 9(3)); filing's events carry the due date, which wins.

An annual SPT's PPh 29 (411125-200 individuals, 411126-200 companies: tax-rules §4.3) is due before the return is
filed (UU KUP Art 9(2b)), so at the latest by the filing deadline: 3 (individuals) or 4 (companies) months after the
end of the tax year (Art 3(3)(b)/(c)), rolled to the next working day (PMK-81/2024 Art 100) on payment's copy of
the working calendar. It is a debt once DJP grants instalments or a postponement of it (tax-rules §6.5).
"""

from __future__ import annotations

from datetime import date, timedelta

from payment.billing.kap_kjs import BillingSubject, check_billing_subject, rule_for
from payment.debts.errors import NotADebt
from payment.debts.interest import add_months
from payment.instalments.workdays import is_working_day
from payment.ledger.postings import DEPOSIT_KAP_KJS

# The assessment KJS of tax-rules §4.3 and the kind of debt each pays; a KAP-KJS keyed by period is an SPT's
# underpayment.
KIND_BY_ASSESSMENT_KJS = {"300": "stp", "310": "skpkb", "320": "skpkbt"}
PERIOD_DEBT_KIND = "spt_underpayment"
SKP_KINDS = {"SKPKB": "skpkb", "SKPKBT": "skpkbt"}  # the SKPs that leave something to pay
DUE_AFTER_MONTHS = 1
# PPh 29 of the annual return: months after the tax year's end until its due date (the filing deadline)
PPH29_DUE_MONTHS = {"411125-200": 3, "411126-200": 4}


def debt_subject(kap_kjs: str, *, period: str | None, assessment_number: str | None,
                 strict: bool = False) -> BillingSubject:
    """The liability a debt names, checked by the billing rules (`billing.*` codes). Not strict (filing's events):
    an assessment KAP-KJS takes the number and keeps the period only as information. Strict (a legacy row): the
    row must give exactly what the KAP-KJS takes, as a billing code must."""
    if kap_kjs.strip() == DEPOSIT_KAP_KJS:
        raise NotADebt(f"{DEPOSIT_KAP_KJS} tops up the deposit; it is not a debt", kap_kjs=DEPOSIT_KAP_KJS)
    rule = rule_for(kap_kjs.strip())
    if rule.needs_assessment and not strict:
        period = None
    return check_billing_subject(rule.kap_kjs, period=period, assessment_number=assessment_number)


def kind_of(subject: BillingSubject) -> str:
    """stp, skpkb or skpkbt by the assessment KJS; spt_underpayment for a KAP-KJS keyed by period."""
    if subject.rule.needs_assessment:
        return KIND_BY_ASSESSMENT_KJS.get(subject.rule.kjs, "stp")
    return PERIOD_DEBT_KIND


def due_date_for(issued_on: date) -> date:
    """1 month after issue (31 Jan -> 28/29 Feb)."""
    return add_months(issued_on, DUE_AFTER_MONTHS)


def is_pph29(kap_kjs: str) -> bool:
    """The KAP-KJS of an annual SPT's kurang bayar (PPh Pasal 29)."""
    return kap_kjs in PPH29_DUE_MONTHS


def pph29_due_date(kap_kjs: str, tax_year: str, calendar: dict[int, frozenset[date]] | None = None) -> date:
    """When the PPh 29 of `tax_year` is due: 31 Mar (individuals) or 30 Apr (companies) of the next year, or the next
    working day after it. `calendar.year_unknown` for a year without a list of days off."""
    day = add_months(date(int(tax_year), 12, 31), PPH29_DUE_MONTHS[kap_kjs])
    while not is_working_day(day, calendar):
        day += timedelta(days=1)
    return day


def pph29_issued_on(declared_on: date, due: date) -> date:
    """The day a PPh 29 debt counts from in the ledger: the day the return declared it (its payment was requested),
    or its due date when the return came later (the tax was owed by then)."""
    return min(declared_on, due)
