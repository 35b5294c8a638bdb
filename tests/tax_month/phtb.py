"""Step 6, land (seed 000 item 22): Rina Marlina sells a plot in Depok to Aleksander Nowak. She pays the PPh on the
transfer (PHTB, 2.5% of the gross value) with a billing code naming the property, at the bank sandbox; payment
validates it by its rules at once (the Surat Keterangan Validasi), and the land office's client reads it by NOP and
NTPN straight away (in Coretax it reached BPN only after 2 working days)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.tax_month.actors import Api, Cast
from tests.tax_month.dates import Dates
from tests.tax_month.spt import money, notices

PHTB = "411128-402"
NOP = "327605000100201230"  # Depok (32.76)
GROSS = Decimal(1_500_000_000)


@dataclass
class Land:
    billing_code: str = ""
    ntpn: str = ""
    validation: dict[str, Any] = field(default_factory=dict)


async def land_is_sold(api: Api, cast: Cast, dates: Dates) -> Land:
    out = Land()
    rina, buyer = cast.people["rina"], cast.taxpayers["late"]
    tax = GROSS * Decimal("0.025")
    code = await api.call("POST", "payment", "/v1/billing-codes", headers=rina.headers(), expect=201, json={
        "kap_kjs": PHTB, "period": f"{dates.today:%Y-%m}", "amount": f"{tax:f}", "nop": NOP,
        "transfer_value": f"{GROSS:f}", "buyer_id": buyer.npwp})
    out.billing_code = code["code"]
    out.ntpn = (await api.pay(out.billing_code))["ntpn"]
    out.validation = await api.call("POST", "payment", "/v1/phtb/validations", headers=rina.headers(), expect=201,
                                    json={"buyer_id": buyer.npwp, "nop": NOP, "gross_value": f"{GROSS:f}",
                                          "ntpn": out.ntpn})
    v = out.validation
    assert (v["status"], v["decided_by"], v["reasons"], money(v["tax_amount"]), v["billing_code"]) == (
        "validated", "rules", [], tax, out.billing_code), v
    letter = await api.http.get(f"{api.url('payment')}/v1/phtb/validations/{v['id']}/letter",
                                headers=rina.headers())
    assert letter.status_code == 200 and letter.content[:5] == b"%PDF-"
    land_office = api.machine("payment:land_office", kind="land_office")
    read = await api.call("GET", "payment", "/v1/land-office/phtb-validations", headers=land_office,
                          params={"nop": NOP, "ntpn": out.ntpn})
    assert (read["id"], read["number"], read["status"], read["seller_npwp"], read["buyer_id"]) == (
        v["id"], v["number"], "validated", rina.npwp, buyer.npwp), read
    public = await api.call("GET", "payment", f"/v1/public/phtb-validations/{v['id']}/verification")
    assert (public["valid"], public["number"], public["ntpn"]) == (True, v["number"], out.ntpn), public
    await notices(api, rina.headers(), {"phtb.validated", "payment.confirmed"})
    return out
