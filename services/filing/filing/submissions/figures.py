"""What a submission reads of a return: its form (the SPT Masa PPN, or a data-driven one of `forms/`), whether the
taxpayer owes it, and its figures as they are signed, for one return or many at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from filing.calendar.periods import TaxPeriod, TaxYear
from filing.forms import service as forms
from filing.forms.schema import FormSchema
from filing.forms.schema import form as data_form
from filing.obligations.deadlines import due_date
from filing.obligations.kinds import Obligation
from filing.registry import service as registry
from filing.returns import service as returns
from filing.returns.errors import ReturnNotOwed
from filing.returns.repository import ReturnKey
from filing.returns.schemas import SptMasaPpnRead
from filing.submissions.rules import PPN_KAP_KJS, PPNBM_KAP_KJS
from kit.errors import AppError

PPN_FORM = Obligation.SPT_MASA_PPN.value
WHOLE = Decimal(1)
_PAYMENT_OF = {Obligation.SPT_MASA_PPN: Obligation.PPN_PAYMENT, Obligation.SPT_MASA_PPH: Obligation.MASA_TAX_PAYMENT}


@dataclass(frozen=True)
class Form:
    """A form as submission sees it: the SPT Masa PPN (its own module) or a data-driven one."""

    code: str
    obligation: Obligation
    title: str
    schema: FormSchema | None = None

    def period(self, text: str) -> TaxPeriod | TaxYear:
        return self.schema.period(text) if self.schema else TaxPeriod.parse(text)


def form_of(code: str) -> Form:
    if code == PPN_FORM:
        return Form(PPN_FORM, Obligation.SPT_MASA_PPN, "SPT Masa PPN")
    schema = data_form(code)
    return Form(schema.form, schema.obligation, schema.title, schema)


def payment_due(obligation: Obligation, period: TaxPeriod | TaxYear) -> date:
    """When the tax a return reports is due: the masa tax's payment date; an annual PPh 29 before the filing
    deadline (UU KUP Art 9(2b))."""
    return due_date(_PAYMENT_OF.get(obligation, obligation), period).effective


@dataclass(frozen=True)
class Figures:
    """What a submission needs of a return of any form, read in the caller's transaction."""

    doc: dict[str, Any]  # the return's figures as they are signed
    outcome: str
    amount_payable: Decimal
    overpayment: Decimal
    payable: dict[str, Decimal]  # KAP-KJS -> owed in full (> 0), whole rupiah
    overpayment_or_loss: bool
    missing_fields: list[str] = field(default_factory=list)
    attachments: frozenset[str] = frozenset()
    required_attachments: frozenset[str] = frozenset()


def ensure_owed_by(taxpayer: registry.Registered, form: Form, period: TaxPeriod | TaxYear) -> None:
    if form.schema is not None:
        forms.ensure_owed(form.schema, taxpayer, period)
    elif not (isinstance(period, TaxPeriod) and taxpayer.is_pkp_in(period)):
        raise ReturnNotOwed(f"{taxpayer.npwp} was not a PKP in {period}: no SPT Masa PPN is owed",
                            npwp=taxpayer.npwp, period=str(period))


def _ppn_figures(view: SptMasaPpnRead) -> Figures:
    payable = {k: v.quantize(WHOLE) for k, v in ((PPN_KAP_KJS, view.amount_due), (PPNBM_KAP_KJS, view.ppnbm_owed))
               if v > 0}
    return Figures(view.model_dump(mode="json", exclude={"open_return", "owed"}), view.outcome.value,
                   view.amount_due, view.overpayment, payable, view.outcome.value == "lebih_bayar")


async def current_figures(session: AsyncSession, npwp: str, form: Form, period: TaxPeriod | TaxYear) -> Figures:
    if form.schema is None:
        assert isinstance(period, TaxPeriod)
        return _ppn_figures(await returns.view(session, npwp, period))
    read = await forms.current(session, npwp, form.schema, period)
    doc = read.model_dump(mode="json", exclude={"open_return", "owed", "missing_fields", "missing_attachments"})
    return Figures(doc, read.outcome, read.amount_due, read.overpayment,
                   {p.kap_kjs: p.amount for p in read.parts if p.amount > 0},
                   read.outcome == "lebih_bayar" or read.shows_loss, read.missing_fields,
                   frozenset(read.attachments), form.schema.required_attachments)


async def figures_of(session: AsyncSession, wanted: list[tuple[str, Form, TaxPeriod | TaxYear]]
                     ) -> dict[ReturnKey, Figures | AppError]:
    """`current_figures` of many returns: the SPT Masa PPN's set-based (`returns.views`), a data-driven form's one
    by one. `owed` is not part of what is signed, so the registry is not read for it."""
    masa = [(npwp, period) for npwp, form, period in wanted if form.schema is None and isinstance(period, TaxPeriod)]
    views = await returns.views(session, masa, taxpayers={}) if masa else {}
    found: dict[ReturnKey, Figures | AppError] = {}
    for npwp, form, period in wanted:
        key = (npwp, form.code, str(period))
        try:
            found[key] = (_ppn_figures(views[(npwp, str(period))]) if form.schema is None
                          else await current_figures(session, npwp, form, period))
        except AppError as error:
            found[key] = error
    return found
