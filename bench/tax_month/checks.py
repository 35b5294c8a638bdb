"""The end-of-month checks, read from each service's own database (the figures are driven over HTTP; only the
reconciliation looks inside), the broker and the workers' metrics. Each check is (name, left, right): it holds when
both sides are equal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.tax_month.months import Plan
from bench.tax_month.sampler import Sampler
from bench.tax_month.stack import RunningStack
from devstack.config import SERVICES
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.settings import DatabaseSettings
from payment.ledger.rules import TransferCode
from payment.ledger.service import audit_ledger


@dataclass(frozen=True)
class Check:
    name: str
    left: Any
    right: Any
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.left == self.right


async def end_of_month(stack: RunningStack, sampler: Sampler, plan: Plan, *, invoices: int, taxpayers: int,
                       late: int, sanctions_ran: bool) -> list[Check]:
    month, late_month = str(plan.month), str(plan.late)
    checks: list[Check] = []

    # invoices: signed at invoice = InvoiceSigned published = InvoiceSigned applied by filing
    signed = await stack.scalar("invoice", "SELECT count(*) FROM invoice WHERE status = 'signed' AND period = $1",
                                month)
    events = await stack.scalar("invoice", "SELECT count(*) FROM outbox WHERE event_type = 'InvoiceSigned' "
                                           "AND published_at IS NOT NULL")
    applied = await stack.scalar("filing", "SELECT count(*) FROM inbox WHERE consumer = 'filing.invoice-events' "
                                           "AND event_type = 'InvoiceSigned'")
    checks += [Check("invoices signed (invoice) = the month's invoices", signed, invoices),
               Check("InvoiceSigned published (invoice outbox) = invoices signed", events, signed),
               Check("InvoiceSigned applied by filing (inbox) = InvoiceSigned published", applied, events)]

    # returns: filed with a receipt, each with one payment (the same NTPN at filing and at payment) and one posting
    filed = await stack.fetch("filing", """
        SELECT s.id::text AS spt_id, p.ntpn, r.number
        FROM spt s JOIN spt_payment p ON p.spt_id = s.id AND p.status = 'paid'
        LEFT JOIN spt_receipt r ON r.spt_id = s.id
        WHERE s.form = 'spt_masa_ppn' AND s.period = $1 AND s.status = 'filed'""", month)
    paid = await stack.fetch("payment", """
        SELECT b.spt_id, p.ntpn, (SELECT count(*) FROM transfer t WHERE t.reference = p.ntpn AND t.code = $2
                                   AND t.amount = p.amount) AS postings
        FROM payment p JOIN billing b ON b.id = p.billing_id
        WHERE b.origin = 'spt' AND b.period = $1""", month, int(TransferCode.PAYMENT_APPLIED))
    at_filing = {(r["spt_id"], r["ntpn"]) for r in filed}
    at_payment = {(r["spt_id"], r["ntpn"]) for r in paid}
    checks += [
        Check("SPT Masa PPN filed (filing) = taxpayers", len({r["spt_id"] for r in filed}), taxpayers),
        Check("filed returns with a receipt (BPE) = returns filed", sum(1 for r in filed if r["number"]),
              len(filed)),
        Check("payments for the returns (payment) = returns filed", len(paid), len(filed)),
        Check("(SPT, NTPN) pairs at filing = at payment", len(at_filing ^ at_payment), 0,
              note="pairs present on one side only"),
        Check("payments applied by exactly one ledger transfer for their amount",
              sum(1 for r in paid if r["postings"] == 1), len(paid)),
    ]

    # the late ones: STPs issued = debts recorded
    stps = await stack.fetch("filing", "SELECT id::text AS id, number FROM stp WHERE form = 'spt_masa_ppn' "
                                       "AND period = $1 AND reason IN ('not_filed', 'late_filing')", late_month)
    debts = await stack.fetch("payment", "SELECT source_reference FROM debt WHERE source = 'stp'")
    checks += [Check("STPs issued for the late month (filing) = late taxpayers", len(stps), late,
                     note="" if sanctions_ran else "the sanction run was refused"),
               Check("debts recorded from STPs (payment) = STPs issued", len({r["source_reference"] for r in debts}),
                     len(stps)),
               Check("STPs without their debt", len({r["id"] for r in stps} - {r["source_reference"] for r in debts}),
                     0)]

    # the pipes: empty outboxes, no lag, no dead letters
    for service in SERVICES:
        backlog = await stack.scalar(service, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
        checks.append(Check(f"outbox backlog: {service}", backlog, 0))
    last = sampler.samples[-1] if sampler.samples else None
    lagging = {g: last.lag(g) for g in sampler.groups if last.lag(g)} if last else {"no sample": 1}
    checks.append(Check("consumer groups with lag at the end", len(lagging), 0, note=str(lagging) if lagging else ""))
    checks.append(Check("records on the dead-letter topics", await sampler.dead_letter_records(), 0))
    checks.append(Check("events dead-lettered (consumers' count)", last.dead_lettered if last else None, 0))
    audit = await ledger_audit(stack)
    checks.append(Check("ledger audit problems (payment.ledger.service.audit_ledger)", len(audit["problems"]), 0,
                        note="; ".join(audit["problems"][:3])))
    checks.append(Check("ledger debits = credits", audit["debits"], audit["credits"]))
    return checks


async def ledger_audit(stack: RunningStack) -> dict[str, Any]:
    """payment's own audit of its ledger, run in this process against payment's database."""
    engine = create_engine(DatabaseSettings(dsn=stack.stack.database_url("payment")),
                           application_name="bench.tax_month.audit", pool_size=1)
    try:
        report = await audit_ledger(UnitOfWork(create_sessionmaker(engine=engine)))
    finally:
        await engine.dispose()
    return {"problems": list(report.problems), "debits": str(report.debits), "credits": str(report.credits),
            "accounts": report.accounts}
