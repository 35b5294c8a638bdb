"""PPh final on the transfer of land and buildings (PP 34/2016), and the check of its payment before a validation
letter (Surat Keterangan Validasi) is issued.

Rates (`data/phtb_rules.json`): 2.5% of the gross transfer value; 1% for simple houses and simple flats sold by a
taxpayer whose main business is that; 0% for transfers to the government for public purposes. Paid with KAP-KJS
411128-402 on a billing code that names the property (NOP) and the value. The tax is value x rate in whole rupiah,
half up (the PPh rounding rule of PER-11/PJ/2025 Art 129), and the payment must equal it exactly.

`check_phtb_payment` never refuses: it answers valid, or the reasons an officer has to look at. A 0% transfer has no
payment to check, and a 1% claim rests on the seller's business, so both go to the officer unless the caller knows
the seller is a developer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from kit.money import round_half_up
from payment.phtb.errors import CategoryUnknown, NOPInvalid

NOP_LENGTH = 18
_NOP_SEPARATORS = str.maketrans("", "", ".- ")
REDUCED_RATE_CATEGORY = "simple_house_by_developer"


@cache
def _rules() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((files("payment.phtb") / "data" / "phtb_rules.json").read_text(encoding="utf-8"))
    return raw


def phtb_kap_kjs() -> str:
    return str(_rules()["kap_kjs"])


def categories() -> tuple[str, ...]:
    return tuple(_rules()["rates"])


def rate_percent(category: str) -> Decimal:
    rates = _rules()["rates"]
    if category not in rates:
        raise CategoryUnknown(f"unknown transfer category {category!r}", allowed=sorted(rates))
    return Decimal(rates[category]["percent"])


def tax_due(gross_value: Decimal, category: str) -> Decimal:
    """The PPh final on a transfer of `gross_value` rupiah, in whole rupiah (half up)."""
    return round_half_up(gross_value * rate_percent(category) / 100)


def validate_nop(nop: str) -> str:
    """The 18 digits of a NOP (Nomor Objek Pajak, `PP.DD.CCC.DDD.BBB-NNNN.J`; dots, dashes and blanks are dropped),
    or `NOPInvalid` with the reason."""
    digits = nop.translate(_NOP_SEPARATORS)
    if len(digits) != NOP_LENGTH:
        raise NOPInvalid(f"a NOP has {NOP_LENGTH} digits", reason="length")
    if not (digits.isascii() and digits.isdigit()):
        raise NOPInvalid("a NOP is made of digits", reason="digits")
    return digits


def format_nop(nop: str) -> str:
    d = validate_nop(nop)
    return f"{d[0:2]}.{d[2:4]}.{d[4:7]}.{d[7:10]}.{d[10:13]}-{d[13:17]}.{d[17]}"


@dataclass(frozen=True)
class ValidationRequest:
    """What the seller (or the notary for them) asks to have validated."""

    nop: str
    seller_npwp: str
    buyer_id: str  # the buyer's NPWP16 or NIK
    gross_value: Decimal
    category: str


@dataclass(frozen=True)
class PHTBPayment:
    """The confirmed payment the request names (by NTPN), with what its billing code said."""

    ntpn: str
    kap_kjs: str
    amount: Decimal
    payer_npwp: str
    nop: str | None
    gross_value: Decimal | None
    buyer_id: str | None


@dataclass(frozen=True)
class Reason:
    """Why a validation needs an officer. `code` is stable (`phtb.amount_mismatch`, ...)."""

    code: str
    message: str
    expected: str | None = None
    found: str | None = None


@dataclass(frozen=True)
class PaymentCheck:
    rate_percent: Decimal
    expected_tax: Decimal
    reasons: tuple[Reason, ...]

    @property
    def valid(self) -> bool:
        return not self.reasons


def check_phtb_payment(request: ValidationRequest, payment: PHTBPayment | None, *, ntpn_already_used: bool = False,
                       seller_is_developer: bool | None = None) -> PaymentCheck:
    """Valid when the payment is a 411128-402 payment of exactly rate x value, not used for another validation,
    for the same NOP, value, seller (the payer) and buyer. Otherwise the reasons, all of them, for the officer."""
    rate = rate_percent(request.category)
    expected = tax_due(request.gross_value, request.category)
    reasons: list[Reason] = []
    if rate == 0:
        reasons.append(Reason("phtb.exemption_needs_review",
                              "a 0% transfer to the government has no payment to check: an officer confirms it"))
        return PaymentCheck(rate, expected, tuple(reasons))
    if request.category == REDUCED_RATE_CATEGORY and seller_is_developer is not True:
        reasons.append(Reason("phtb.developer_status_unconfirmed",
                              "the 1% rate needs a seller whose main business is transferring land and buildings"))
    if payment is None:
        reasons.append(Reason("phtb.payment_not_found", "no confirmed payment has this NTPN"))
        return PaymentCheck(rate, expected, tuple(reasons))
    if ntpn_already_used:
        reasons.append(Reason("phtb.ntpn_already_used", "this payment already validated another transfer",
                              found=payment.ntpn))
    _compare(reasons, "phtb.kap_kjs_mismatch", "the payment is not PPh on a land or building transfer",
             phtb_kap_kjs(), payment.kap_kjs)
    _compare(reasons, "phtb.amount_mismatch", f"the tax is {rate}% of the gross value", expected, payment.amount)
    _compare(reasons, "phtb.nop_mismatch", "the payment names another property",
             _nop_or_none(request.nop), _nop_or_none(payment.nop))
    _compare(reasons, "phtb.value_mismatch", "the payment names another transfer value",
             request.gross_value, payment.gross_value)
    _compare(reasons, "phtb.seller_mismatch", "the payment was made by someone other than the seller",
             request.seller_npwp, payment.payer_npwp)
    _compare(reasons, "phtb.buyer_mismatch", "the payment names another buyer", request.buyer_id, payment.buyer_id)
    return PaymentCheck(rate, expected, tuple(reasons))


def _compare(reasons: list[Reason], code: str, message: str, expected: object, found: object) -> None:
    if expected is None or found is None or expected != found:
        reasons.append(Reason(code, message, None if expected is None else str(expected),
                              None if found is None else str(found)))


def _nop_or_none(nop: str | None) -> str | None:
    if nop is None:
        return None
    try:
        return validate_nop(nop)
    except NOPInvalid:
        return None
