"""Step 3: the seller's SPT Masa PPN for the period, prefilled by filing from invoice's events, equals a recomputation
from invoice's own list, shows kurang bayar, and is submitted by the signer ("Bayar dan Lapor"); payment makes its
billing code from filing's event, the bank sandbox pays it, the NTPN comes back, the return is filed with a receipt
(BPE) that verifies, and the notices reach notification's inbox and the mail sandbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kit.testing.messaging import eventually
from tests.tax_month.actors import PASSPHRASE, Api, Cast, bearer
from tests.tax_month.dates import Dates
from tests.tax_month.pjap import Invoices, list_all

PPN = "411211-100"
SPT = "/v1/returns/spt-masa-ppn"


@dataclass
class Filed:
    spt_id: str = ""
    amount: Decimal = Decimal(0)
    billing_code: str = ""
    ntpn: str = ""
    receipt: dict[str, Any] = field(default_factory=dict)
    submission: dict[str, Any] = field(default_factory=dict)


def money(value: str | None) -> Decimal:
    return Decimal(value or "0")


async def acting(api: Api, cast: Cast, who: str, taxpayer: str) -> dict[str, str]:
    return bearer(await api.exchange(cast.people[who].token, cast.taxpayers[taxpayer].npwp))


def totals(invoices: list[dict[str, Any]]) -> dict[str, Decimal]:
    return {k: sum((money(i[k]) for i in invoices), Decimal(0)) for k in ("dpp", "dpp_other", "ppn", "ppnbm")}


async def prefilled(api: Api, headers: dict[str, str], npwp: str, period: str, *, invoices: int) -> dict[str, Any]:
    """The SPT Masa PPN read once filing's prefill holds `invoices` signed invoices of code 04."""
    seen: dict[str, Any] = {}

    async def counted() -> bool:
        seen["spt"] = await api.call("GET", "filing", f"{SPT}/{period}", headers=headers, params={"npwp": npwp})
        return sum(c["invoices"] for c in seen["spt"]["output"]) == invoices

    await eventually(counted, 120, f"filing's prefill of {period} holding {invoices} invoices")
    return dict(seen["spt"])


async def billing_of(api: Api, headers: dict[str, str], spt_id: str) -> dict[str, Any]:
    """The SPT's billing code, made by payment from filing's SPTPaymentRequested."""
    found: dict[str, Any] = {}

    async def made() -> bool:
        page = await api.call("GET", "payment", "/v1/billing-codes", headers=headers, params={"spt_id": spt_id})
        found["items"] = page["items"]
        return bool(page["items"])

    await eventually(made, 60, f"payment's billing code for SPT {spt_id}")
    (code,) = found["items"]
    return dict(code)


async def filed(api: Api, headers: dict[str, str], npwp: str, period: str, version: int) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def done() -> bool:
        seen["s"] = await api.call("GET", "filing", f"{SPT}/{period}/submission", headers=headers,
                                   params={"npwp": npwp})
        return seen["s"]["spt_version"] == version and seen["s"]["status"] == "filed"

    await eventually(done, 60, f"version {version} of {period} filed once its payment is confirmed")
    return dict(seen["s"])


async def check_receipt(api: Api, headers: dict[str, str], receipt: dict[str, Any]) -> None:
    pdf = await api.http.get(f"{api.url('filing')}/v1/receipts/{receipt['number']}/pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    assert receipt["verification_url"].startswith(api.url("filing") + "/"), receipt["verification_url"]  # its QR
    verification = (await api.http.get(receipt["verification_url"])).json()
    assert (verification["valid"], verification["content_digest"]) == (True, receipt["content_digest"]), verification


async def notices(api: Api, headers: dict[str, str], wanted: set[str], timeout: float = 60) -> list[dict[str, Any]]:
    """The taxpayer's inbox once it holds every notice kind in `wanted`."""
    seen: dict[str, Any] = {}

    async def arrived() -> bool:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = await api.call("GET", "notification", "/v1/inbox", headers=headers,
                                  params={"limit": "200", **({"cursor": cursor} if cursor else {})})
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        seen["items"] = items
        return wanted <= {i["notice"] for i in items}

    await eventually(arrived, timeout, f"notices {sorted(wanted)}")
    return list(seen["items"])


async def mailed(api: Api, to: str, text: str, timeout: float = 60) -> None:
    async def arrived() -> bool:
        return any(text in (m["body"] or "") for m in await api.messages(to))

    await eventually(arrived, timeout, f"an e-mail to {to} mentioning {text}")


async def seller_files(api: Api, cast: Cast, dates: Dates, invoices: Invoices) -> Filed:
    seller, buyer = cast.taxpayers["seller"], cast.taxpayers["buyer"]
    as_signer = await acting(api, cast, "signer", "seller")
    n = len(invoices.ids)

    # -- prefilled, and equal to a recomputation from invoice's own list ----------------------------------------
    spt = await prefilled(api, as_signer, seller.npwp, dates.period, invoices=n)
    listed = await list_all(api, as_signer, view="output", period=dates.period, status="signed")
    want = totals(listed)
    (code04,) = spt["output"]
    assert (code04["transaction_code"], code04["invoices"]) == ("04", len(listed)), code04
    assert {k: money(code04[k]) for k in want} == want, (code04, want)
    assert money(spt["output_ppn_owed"]) == want["ppn"] and money(spt["input"]["creditable_ppn"]) == 0, spt
    assert (spt["outcome"], money(spt["amount_due"]), money(spt["balance"])) == (
        "kurang_bayar", want["ppn"], want["ppn"]), spt
    assert spt["owed"] is True and spt["open_return"] is None, spt

    # the buyer's return of the same period carries the credited input tax (InputTaxCredited through filing)
    as_buyer = await acting(api, cast, "rina", "buyer")

    async def credited() -> bool:
        got = await api.call("GET", "filing", f"{SPT}/{dates.period}", headers=as_buyer,
                             params={"npwp": buyer.npwp})
        return (got["input"]["credited_invoices"], money(got["input"]["credited_ppn"])) == (
            len(invoices.credited), invoices.credited_ppn)

    await eventually(credited, 60, "the buyer's credited input tax in its SPT Masa PPN")

    # -- submitted by the signer: kurang bayar waits for its payment ---------------------------------------------
    out = Filed(amount=want["ppn"])
    submitted = await api.call("POST", "filing", f"{SPT}/{dates.period}/submission", headers=as_signer,
                               params={"npwp": seller.npwp}, json={"credential_id": cast.credential_id,
                                                                   "passphrase": PASSPHRASE, "kind": "normal"})
    assert (submitted["status"], submitted["spt_version"], submitted["outcome"]) == (
        "awaiting_payment", 0, "kurang_bayar"), submitted
    assert [(p["kap_kjs"], money(p["amount"]), p["status"]) for p in submitted["payments"]] == [
        (PPN, out.amount, "requested")], submitted["payments"]
    out.spt_id = submitted["spt_id"]

    # -- payment's billing code, paid at the bank sandbox -------------------------------------------------------
    code = await billing_of(api, as_signer, out.spt_id)
    assert (code["kap_kjs"], money(code["amount"]), code["status"], code["period"]) == (
        PPN, out.amount, "active", dates.period), code
    out.billing_code = code["code"]
    paid = await api.pay(out.billing_code)
    out.ntpn = paid["ntpn"]
    read = await api.call("GET", "payment", f"/v1/billing-codes/{out.billing_code}", headers=as_signer)
    assert (read["status"], read["ntpn"]) == ("paid", out.ntpn), read

    # -- filed on the payment, with a receipt that verifies -----------------------------------------------------
    out.submission = await filed(api, as_signer, seller.npwp, dates.period, 0)
    out.receipt = out.submission["receipt"]
    assert (out.receipt["ntpn"], out.receipt["billing_code"], out.receipt["late"], out.receipt["version_label"]) == (
        out.ntpn, out.billing_code, False, "Normal"), out.receipt
    assert out.submission["stps"] == [] and out.submission["payments"][0]["status"] == "paid"
    await check_receipt(api, as_signer, out.receipt)

    # -- the notices: the inbox, and the company's e-mail ------------------------------------------------------
    await notices(api, as_signer, {"taxpayer.registered", "billing.created", "payment.confirmed", "spt.submitted"})
    await mailed(api, seller.email, out.receipt["number"])
    await mailed(api, seller.email, out.ntpn)
    return out
