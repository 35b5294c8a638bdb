"""What an STP (Surat Tagihan Pajak, UU KUP Art 14) carries besides its amount: the KAP-KJS it is paid with and its
payment due date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from filing.calendar.periods import add_months
from filing.calendar.workdays import DayOff, WorkingCalendar
from filing.obligations.kinds import Obligation

STP_KJS = "300"  # tax-rules.md §4.3: "STP for a late-filing fine: paid with the tax's own KAP plus KJS 300"
KAP_PPN_DN = "411211"
KAP_PPH_OP = "411125"
KAP_PPH_BADAN = "411126"
# The KAP of the tax a return reports. An SPT Masa PPh has none of its own: it takes the KAP of the PPh it reports
# (411121 for PPh 21, 411124 for PPh 23, ...), which the caller passes.
RETURN_KAP: dict[Obligation, str] = {
    Obligation.SPT_MASA_PPN: KAP_PPN_DN,
    Obligation.SPT_TAHUNAN_OP: KAP_PPH_OP,
    Obligation.SPT_TAHUNAN_BADAN: KAP_PPH_BADAN,
}
LATE_FAKTUR_KAP_KJS = f"{KAP_PPN_DN}-{STP_KJS}"  # Art 14(4) is a PPN sanction: 411211-300
_KAP = re.compile(r"^[0-9]{6}$")


def stp_kap_kjs(kap: str) -> str:
    """`411211` -> `411211-300` (a late SPT Masa PPN fine of Rp500,000 is paid as 411211-300)."""
    if not _KAP.match(kap):
        raise ValueError(f"a KAP is 6 digits: {kap!r}")
    return f"{kap}-{STP_KJS}"


def return_stp_kap_kjs(obligation: Obligation, *, pph_kap: str | None = None) -> str:
    """KAP-KJS of the STP for a sanction on a return; an SPT Masa PPh needs the KAP of its PPh."""
    if obligation is Obligation.SPT_MASA_PPH:
        if pph_kap is None:
            raise ValueError("an SPT Masa PPh sanction is paid with the KAP of its PPh: pass pph_kap")
        return stp_kap_kjs(pph_kap)
    if obligation not in RETURN_KAP:
        raise ValueError(f"{obligation.value} is not a return")
    return stp_kap_kjs(RETURN_KAP[obligation])


@dataclass(frozen=True)
class BillDue:
    nominal: date
    effective: date
    days_off: tuple[DayOff, ...]


def bill_due_date(issued_on: date, calendar: WorkingCalendar | None = None) -> BillDue:
    """An STP, SKPKB or SKPKBT is paid within 1 month of its issue (UU KUP Art 9(3); tax-rules.md §6.3, §6.5): the
    same day of the next month (clamped to its end), rolled to a working day (PMK-81/2024 Art 100)."""
    nominal = add_months(issued_on, 1)
    effective, days_off = (calendar or WorkingCalendar.load()).roll_forward(nominal)
    return BillDue(nominal, effective, days_off)
