"""What a PPh PHTB billing code (411128-402, PP 34/2016) names besides the usual: the property (NOP), the gross
transfer value and the buyer, so that the validation can check the payment against the transfer (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from payment.billing.amount import check_amount
from payment.billing.errors import TransferNotApplicable, TransferRequired
from payment.phtb.rules import phtb_kap_kjs, validate_nop


@dataclass(frozen=True)
class Transfer:
    nop: str  # 18 digits
    value: Decimal
    buyer_id: str


def check_transfer(kap_kjs: str, *, nop: str | None, value: Decimal | int | str | None,
                   buyer_id: str | None) -> Transfer | None:
    """The transfer a 411128-402 code names (all three required), None for any other code (none allowed).
    Raises `billing.transfer_required`, `billing.transfer_not_applicable`, `phtb.nop_invalid`,
    `billing.amount_invalid` (the value)."""
    given = {"nop": nop, "transfer_value": value, "buyer_id": buyer_id}
    if kap_kjs != phtb_kap_kjs():
        if any(v is not None for v in given.values()):
            raise TransferNotApplicable(f"{kap_kjs} does not pay PPh on a land or building transfer",
                                        fields=sorted(k for k, v in given.items() if v is not None))
        return None
    missing = sorted(k for k, v in given.items() if v is None)
    if missing:
        raise TransferRequired(f"a {kap_kjs} code names the transfer: {', '.join(missing)} missing", missing=missing)
    assert nop is not None and value is not None and buyer_id is not None
    return Transfer(validate_nop(nop), check_amount(value), buyer_id)
