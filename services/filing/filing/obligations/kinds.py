"""The obligations this service tracks: the returns (SPT) and the payments whose due dates it publishes."""

from __future__ import annotations

from enum import StrEnum


class Obligation(StrEnum):
    MASA_TAX_PAYMENT = "masa_tax_payment"  # PPh 4(2), 15, 21, 22, 23, 25, 26 and the other taxes of Art 94(1)
    PPN_PAYMENT = "ppn_payment"  # PPN/PPnBM kurang bayar of an SPT Masa PPN
    SPT_MASA_PPH = "spt_masa_pph"  # PPh 21/26 and Unifikasi (22, 23, 4(2), 15)
    SPT_MASA_PPN = "spt_masa_ppn"
    SPT_TAHUNAN_OP = "spt_tahunan_op"
    SPT_TAHUNAN_BADAN = "spt_tahunan_badan"


ANNUAL = frozenset({Obligation.SPT_TAHUNAN_OP, Obligation.SPT_TAHUNAN_BADAN})
RETURNS = frozenset({Obligation.SPT_MASA_PPH, Obligation.SPT_MASA_PPN, *ANNUAL})
PAYMENTS = frozenset({Obligation.MASA_TAX_PAYMENT, Obligation.PPN_PAYMENT})
