"""Fines: late or missing returns (UU KUP Art 7(1), not applied in the Art 7(2) cases) and late faktur (Art 14(4)).

Rounding: the Art 7(1) fines are fixed whole-rupiah amounts. The Art 14(4) fine (1% of DPP) is rounded once to
whole rupiah half-up, the rule PER-11/PJ/2025 Art 129 sets for faktur amounts (tax-rules.md §3.5); tax-rules.md
cites no rounding rule for the fine itself, so this is a documented choice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from filing.obligations.kinds import Obligation
from kit.money import round_half_up, to_decimal

# UU KUP Art 7(1) (tax-rules.md §6.1)
LATE_FILING_FINES: dict[Obligation, Decimal] = {
    Obligation.SPT_MASA_PPN: Decimal(500_000),
    Obligation.SPT_MASA_PPH: Decimal(100_000),  # "other SPT Masa"
    Obligation.SPT_TAHUNAN_BADAN: Decimal(1_000_000),
    Obligation.SPT_TAHUNAN_OP: Decimal(100_000),
}
LATE_FAKTUR_RATE = Decimal("0.01")  # UU KUP Art 14(4): 1% of DPP


class FineExemption(StrEnum):
    """The cases in which the Art 7(1) fine is not applied: UU KUP Art 7(2) as listed by PMK-243/2014 (tax-rules.md
    §6.1; seed 004, "Wajib Pajak Yang Wajib Menyampaikan SPT")."""

    DECEASED = "deceased"  # individual who has died
    NO_LONGER_IN_BUSINESS = "no_longer_in_business"  # individual no longer running a business or free profession
    FOREIGNER_NO_LONGER_RESIDENT = "foreigner_no_longer_resident"  # WNA no longer living in Indonesia
    PERMANENT_ESTABLISHMENT_CEASED = "permanent_establishment_ceased"  # BUT no longer active in Indonesia
    COMPANY_INACTIVE_NOT_DISSOLVED = "company_inactive_not_dissolved"  # company without business, not yet dissolved
    TREASURER_NO_LONGER_PAYING = "treasurer_no_longer_paying"  # bendahara that no longer makes payments
    DISASTER = "disaster"  # taxpayer struck by a disaster (as the Minister of Finance rules)
    # riots, fire, bombing or terrorism, ethnic war, failure of the state revenue or tax information system, or
    # another circumstance the Director General decides
    OTHER_DIRECTOR_GENERAL_DECISION = "other_director_general_decision"


@dataclass(frozen=True)
class LateFilingFine:
    obligation: Obligation
    amount: Decimal  # 0 when exempt
    exempted_by: FineExemption | None
    basis: str


def late_filing_fine(obligation: Obligation, *, exemptions: Collection[FineExemption] = ()) -> LateFilingFine:
    """The Art 7(1) fine for a return filed after its (possibly extended) deadline, or not filed at all; zero with
    the exemption that waives it when an Art 7(2) case applies."""
    try:
        fine = LATE_FILING_FINES[obligation]
    except KeyError:
        raise ValueError(f"{obligation.value} is not a return: Art 7(1) fines returns only") from None
    if exemptions:
        first = min(exemptions, key=list(FineExemption).index)
        return LateFilingFine(obligation, Decimal(0), first, f"UU KUP Art 7(2) ({first.value})")
    return LateFilingFine(obligation, fine, None, "UU KUP Art 7(1)")


def late_faktur_fine(dpp: Decimal) -> Decimal:
    """UU KUP Art 14(4): 1% of the DPP of a faktur made late or not made (PER-11/PJ/2025 Art 58, tax-rules.md §3.6).
    Which base applies to a PMK-131 faktur (the price, or the DPP nilai lain 11/12) is not settled in tax-rules.md:
    the caller passes the DPP it reads the rule with."""
    dpp = to_decimal(dpp)
    if dpp < 0:
        raise ValueError("DPP is not negative")
    return round_half_up(dpp * LATE_FAKTUR_RATE)


# The Art 7(2) cases the registry replica knows: identity's taxpayer `status` (TaxpayerUpdated) for a taxpayer who
# died, or who is "non-efektif" (no longer in business, a company without activity, a WNA gone). A taxpayer with such
# a status gets no Art 7(1) fine from the sanction run. The other cases (disaster, system failure, a Director
# General's decision) are not in the registry.
EXEMPT_STATUSES: dict[str, FineExemption] = {
    "deceased": FineExemption.DECEASED,
    "non_effective": FineExemption.NO_LONGER_IN_BUSINESS,
}

# The returns the sanction run knows who owes (obligations.owed): the SPT Masa PPN of a PKP and the SPT Tahunan.
# SPT Masa PPh is owed by withholders for months with withholding, which filing cannot tell yet.
RUN_OBLIGATIONS = (Obligation.SPT_MASA_PPN, Obligation.SPT_TAHUNAN_OP, Obligation.SPT_TAHUNAN_BADAN)
