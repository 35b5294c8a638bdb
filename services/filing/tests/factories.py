"""One way to make each fact the filing tests need: identity's, invoice's and payment's events (as envelopes with
their own ids, so a test can send the same one twice), and SPT rows made directly (a filed Normal, for tests about
what follows it)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.identity import PKPStatusChanged, TaxpayerRegistered
from contracts.invoice import InputTaxCredited, InvoiceCancelled, InvoiceReplaced, InvoiceSigned, ReturnIssued
from contracts.payment import BillingExpired, InstalmentGranted, PaymentConfirmed, ScheduledPayment
from contracts.registry import Contract
from filing.returns.models import spt
from kit.testing.events import envelope_for, random_npwp

_serials = itertools.count(int(uuid.uuid4().int % 10**9) * 1000)


def envelope(event: Contract, *, key: str, sequence: int = 0) -> dict[str, Any]:
    return envelope_for(event, key=key, sequence=sequence)


# -- identity ------------------------------------------------------------------------------------------------------
def registered(npwp: str | None = None, *, kind: str = "company", on: date = date(2024, 1, 10),
               taxpayer_id: str | None = None) -> TaxpayerRegistered:
    npwp = npwp or random_npwp()
    return TaxpayerRegistered(taxpayer_id=taxpayer_id or str(uuid.uuid4()), npwp=npwp, nitku=npwp + "000000",
                              name="PT Contoh Lontar", kind=kind,  # type: ignore[arg-type]
                              registered_at=datetime(on.year, on.month, on.day, 3, 0, tzinfo=UTC))


def pkp_change(taxpayer: TaxpayerRegistered, *, is_pkp: bool, on: date) -> PKPStatusChanged:
    return PKPStatusChanged(taxpayer_id=taxpayer.taxpayer_id, npwp=taxpayer.npwp, is_pkp=is_pkp, effective_date=on,
                            source_of_change="officer")


def identity_envelopes(taxpayer: TaxpayerRegistered, *changes: tuple[bool, date]) -> list[dict[str, Any]]:
    """TaxpayerRegistered then its PKP changes, with identity's sequence (the taxpayer's version)."""
    out = [envelope(taxpayer, key=taxpayer.npwp, sequence=1)]
    out += [envelope(pkp_change(taxpayer, is_pkp=is_pkp, on=on), key=taxpayer.npwp, sequence=1 + i)
            for i, (is_pkp, on) in enumerate(changes)]
    return out


# -- invoice -------------------------------------------------------------------------------------------------------
def signed(seller: str, *, buyer: str | None = None, period: str = "2026-02", code: str = "04", dpp: str,
           dpp_other: str | None = None, ppn: str, ppnbm: str = "0", status: int = 0,
           serial: int | None = None) -> InvoiceSigned:
    serial = next(_serials) if serial is None else serial
    return InvoiceSigned(
        invoice_id=str(uuid.uuid4()), nsfp=f"{code}{status:02d}{serial:013d}", seller_npwp=seller,
        seller_nitku=seller + "000000", buyer_npwp=buyer, buyer_document="TIN" if buyer else "NIK",
        invoice_date=date(int(period[:4]), int(period[5:]), 10), period=period, transaction_code=code,
        dpp=dpp, dpp_other=dpp_other or dpp, ppn=ppn, ppnbm=ppnbm, signed_at=datetime.now(UTC),
        certificate_serial="test-certificate")


def replacement(original: InvoiceSigned, *, period: str | None = None, dpp: str, dpp_other: str | None = None,
                ppn: str, ppnbm: str = "0") -> InvoiceSigned:
    """The faktur pengganti: same serial, status code + 1."""
    status = int(original.nsfp[2:4]) + 1
    return signed(original.seller_npwp, buyer=original.buyer_npwp, period=period or original.period,
                  code=original.transaction_code, dpp=dpp, dpp_other=dpp_other, ppn=ppn, ppnbm=ppnbm,
                  status=status, serial=int(original.nsfp[4:]))


def cancelled(invoice: InvoiceSigned) -> InvoiceCancelled:
    return InvoiceCancelled(invoice_id=invoice.invoice_id, nsfp=invoice.nsfp, seller_npwp=invoice.seller_npwp,
                            buyer_npwp=invoice.buyer_npwp, invoice_date=invoice.invoice_date, period=invoice.period,
                            dpp=invoice.dpp, ppn=invoice.ppn, ppnbm=invoice.ppnbm, reason="transaksi batal",
                            cancelled_at=datetime.now(UTC))


def replaced(original: InvoiceSigned, by: InvoiceSigned) -> InvoiceReplaced:
    return InvoiceReplaced(
        invoice_id=original.invoice_id, nsfp=original.nsfp, replacement_invoice_id=by.invoice_id,
        replacement_nsfp=by.nsfp, status_code=int(by.nsfp[2:4]), seller_npwp=original.seller_npwp,
        buyer_npwp=original.buyer_npwp, period=original.period, replacement_period=by.period, dpp=original.dpp,
        ppn=original.ppn, ppnbm=original.ppnbm, replacement_dpp=by.dpp, replacement_ppn=by.ppn,
        replacement_ppnbm=by.ppnbm, replaced_at=datetime.now(UTC))


def returned(invoice: InvoiceSigned, *, period: str, dpp: str, dpp_other: str, ppn: str,
             ppnbm: str = "0") -> ReturnIssued:
    assert invoice.buyer_npwp is not None
    return ReturnIssued(return_id=str(uuid.uuid4()), number="NR-1", invoice_id=invoice.invoice_id, nsfp=invoice.nsfp,
                        seller_npwp=invoice.seller_npwp, buyer_npwp=invoice.buyer_npwp,
                        return_date=date(int(period[:4]), int(period[5:]), 5), period=period, dpp=dpp,
                        dpp_other=dpp_other, ppn=ppn, ppnbm=ppnbm)


def credited(invoice: InvoiceSigned, *, period: str | None = None, action: str = "credit") -> InputTaxCredited:
    assert invoice.buyer_npwp is not None
    return InputTaxCredited(invoice_id=invoice.invoice_id, nsfp=invoice.nsfp, seller_npwp=invoice.seller_npwp,
                            buyer_npwp=invoice.buyer_npwp, action=action, period=period or invoice.period,
                            invoice_period=invoice.period, ppn=invoice.ppn, ppnbm=invoice.ppnbm,
                            decided_at=datetime.now(UTC))


def keyed(event: InvoiceSigned | InvoiceCancelled | InvoiceReplaced | ReturnIssued | InputTaxCredited
          ) -> dict[str, Any]:
    """The envelope as invoice publishes it: by the seller's NPWP, nota retur and input-tax decisions by the
    buyer's."""
    buyer_keyed = isinstance(event, ReturnIssued | InputTaxCredited)
    return envelope(event, key=event.buyer_npwp if buyer_keyed else event.seller_npwp)  # type: ignore[arg-type]


# -- payment -------------------------------------------------------------------------------------------------------
def _digits(n: int) -> str:
    return str(uuid.uuid4().int)[:n]


def payment_confirmed(request: dict[str, Any], *, paid_at: datetime) -> PaymentConfirmed:
    """payment's confirmation of the billing code it made for an SPTPaymentRequested (the event's data)."""
    return PaymentConfirmed(
        payment_id=str(uuid.uuid4()), ntpn=uuid.uuid4().hex[:16].upper(), billing_id=str(uuid.uuid4()),
        billing_code="0" + _digits(14), npwp=request["npwp"], kap_kjs=request["kap_kjs"], period=request["period"],
        amount=request["amount"], paid_at=paid_at, bank_code="BANK01", bank_reference=uuid.uuid4().hex,
        settles="spt", spt_id=request["spt_id"], confirmed_at=paid_at)


def billing_expired(request: dict[str, Any], *, expired_at: datetime) -> BillingExpired:
    return BillingExpired(
        billing_id=str(uuid.uuid4()), billing_code="0" + _digits(14), npwp=request["npwp"],
        kap_kjs=request["kap_kjs"], period=request["period"], amount=request["amount"], origin="spt",
        spt_id=request["spt_id"], expired_at=expired_at)


def instalments_granted(request: dict[str, Any], *, granted_at: datetime) -> InstalmentGranted:
    """payment's decision granting instalments of the PPh 29 an SPTPaymentRequested asked for (three monthly parts)."""
    part = str(int(request["amount"]) // 3)
    return InstalmentGranted(
        arrangement_id=str(uuid.uuid4()), npwp=request["npwp"], debt_id=str(uuid.uuid4()), kap_kjs=request["kap_kjs"],
        kind="instalment", debt_kind="pph29", principal=request["amount"], monthly_rate_percent="0.52",
        schedule=[ScheduledPayment(number=n, due_date=date(2026, 4 + n, 30), principal=part, interest="0",
                                   total=part) for n in (1, 2, 3)],
        granted_at=granted_at, spt_id=request["spt_id"])


# -- SPT rows made directly ----------------------------------------------------------------------------
async def add_spt(engine: AsyncEngine, *, npwp: str, form: str, period: str, version: int = 0, status: str,
                  filed_at: datetime | None = None) -> uuid.UUID:
    spt_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(insert(spt).values(id=spt_id, npwp=npwp, form=form, period=period, version=version,
                                              status=status, filed_at=filed_at))
    return spt_id
