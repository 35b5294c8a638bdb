"""Step 4: a second taxpayer files late and pays late, and settles his debts.

Aleksander Nowak, a Polish passport holder with a stay permit (so an NPWP of his own), is PKP from five months ago
and has filed none of his SPT Masa PPN since. With the 2027 calendar and the KMK rates published in step 0
(synthetic: tests/tax_month/reference.py):

- He makes one faktur of his overdue period (three months back) today, so it is signed after its upload deadline:
  filing's invoice consumer issues its Art 14(4) STP (1% of DPP).
- He files that period's SPT Masa PPN (kurang bayar) and pays it at the bank sandbox, after its payment due date:
  filing files it on the payment, late, with its Art 7(1) STP (Rp500,000 for an SPT Masa PPN), and its consumer of
  payment's events issues the Art 9(2a) STP: principal x the KMK tier-2 rate of the due date's month x months from
  the due date to the payment day (a part month counted whole), whole rupiah half-up; checked here against a
  recomputation with Decimal.
- An officer's sanction run of each other overdue period issues its Art 7(1) STP (`not_filed`, Rp500,000).
- payment records a debt from each STP (`STPIssued`); he pays each with its own billing code at the bank sandbox.
- His debts from the system before Coretax are imported by an officer (CSV; seed 000 item 16): one is paid at once
  with its own billing code, the other in instalments, applied for by him, granted by an officer, each instalment
  paid at the bank sandbox until the debt is settled. The same file imported again adds nothing. His ledger owes
  nothing at the end.

The worker's own sanction schedule (hourly, `filing.worker`) may issue a `not_filed` STP for one of these periods
before the officer's run or his late filing does (a return bears one Art 7(1) fine whoever issues it): the checks
accept either issuer for a period, never two fines.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kit.clock import JAKARTA
from kit.testing.messaging import eventually
from tests.tax_month.actors import PASSPHRASE, Api, Cast, Refused, Taxpayer, foreigner, register_person
from tests.tax_month.company import confirm_pkp
from tests.tax_month.dates import Dates, month_of
from tests.tax_month.pjap import wait_for
from tests.tax_month.reference import Reference
from tests.tax_month.spt import SPT, billing_of, filed, money, notices, prefilled

LATE_NAME = "Aleksander Nowak"
STP_PPN = "411211-300"
PPN = "411211-100"
FINE = Decimal(500_000)  # UU KUP Art 7(1): an SPT Masa PPN filed late or not at all
LATE_PRICE = "40000000"


def months_between(starts_on: date, ends_on: date) -> int:
    """Months from `starts_on` to `ends_on`, a part month counted whole, at most 24 (UU KUP Art 9(2a); tax-rules.md
    §6.2: 15 Sep -> 15 Oct is 1 month, 15 Sep -> 20 Oct is 2). Written here again, not imported from filing."""
    months = (ends_on.year - starts_on.year) * 12 + ends_on.month - starts_on.month
    same_day = month_of(starts_on, months)
    last = calendar.monthrange(same_day.year, same_day.month)[1]
    if same_day.replace(day=min(starts_on.day, last)) < ends_on:
        months += 1
    return max(0, min(months, 24))


def rupiah(value: Decimal) -> Decimal:
    """Whole rupiah, half up (filing's documented rounding of a sanction, filing/sanctions/interest.py)."""
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


async def stps_of(api: Api, headers: dict[str, str], reasons: set[str], *, art_7_1: set[str]
                  ) -> dict[str, dict[str, Any]]:
    """The taxpayer's STPs once one of each reason in `reasons` and one Art 7(1) fine for each period in `art_7_1`
    are there: by reason, and the Art 7(1) ones by period. Never two of a kind."""
    seen: dict[str, dict[str, Any]] = {}

    async def issued() -> bool:
        items = await api.call("GET", "filing", "/v1/stps", headers=headers)
        keys = [s["period"] if s["basis"] == "UU KUP Art 7(1)" else s["reason"] for s in items]
        assert len(keys) == len(set(keys)), f"an STP twice: {items}"
        seen.clear()
        seen.update(zip(keys, items, strict=True))
        return reasons | art_7_1 <= set(seen)

    await eventually(issued, 90, f"STPs {sorted(reasons)} and Art 7(1) fines of {sorted(art_7_1)}")
    assert set(seen) == reasons | art_7_1, seen
    return dict(seen)


async def debts_from(api: Api, headers: dict[str, str], stp_ids: set[str]) -> dict[str, dict[str, Any]]:
    """payment's debts recorded from these STPs (STPIssued), by STP id."""
    seen: dict[str, dict[str, Any]] = {}

    async def recorded() -> bool:
        page = await api.call("GET", "payment", "/v1/debts", headers=headers, params={"status": "open", "limit": 100})
        seen.clear()
        seen.update({d["source_reference"]: d for d in page["items"] if d["source"] == "stp"})
        return stp_ids <= set(seen)

    await eventually(recorded, 90, f"payment's debts of {len(stp_ids)} STPs")
    return {i: seen[i] for i in stp_ids}


@dataclass
class Late:
    npwp: str = ""
    debts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by legacy reference
    arrangement: dict[str, Any] = field(default_factory=dict)
    ntpns: list[str] = field(default_factory=list)
    import_id: str = ""
    invoice_id: str = ""
    nsfp: str = ""
    principal: Decimal = Decimal(0)  # the late return's PPN, paid late
    interest: Decimal = Decimal(0)  # its Art 9(2a) interest, as recomputed here
    interest_figures: str = ""  # principal x rate x months, from the due date to the payment day
    submission: dict[str, Any] = field(default_factory=dict)
    stps: list[dict[str, Any]] = field(default_factory=list)
    fines: dict[str, Decimal] = field(default_factory=dict)  # by reason (interest, faktur) or period (Art 7(1))


def legacy_csv(npwp: str, tag: str) -> str:
    rows = [("A", "00021/107/26/611/26", "2400000", "2026-10-12", "2026-11-12"),
            ("B", "00022/107/25/611/25", "500000", "2025-07-01", "2025-08-01")]
    lines = ["npwp,kap_kjs,period,assessment_number,amount,issued_on,due_date,legacy_reference"]
    lines += [f"{npwp},{STP_PPN},,{number},{amount},{issued},{due},SIDJP-{tag}-{ref}"
              for ref, number, amount, issued, due in rows]
    return "\n".join(lines) + "\n"


async def files_late(api: Api, cast: Cast, dates: Dates, reference: Reference) -> Late:
    out = Late()
    person = await register_person(api, cast, "late", foreigner(cast, "late", full_name=LATE_NAME, country="POL",
                                                                taxpayer=True, phone_no=7))
    assert person.npwp is not None
    out.npwp = person.npwp
    cast.taxpayers["late"] = Taxpayer(npwp=person.npwp, name=LATE_NAME, email=person.email, kind="individual")
    await confirm_pkp(api, person.npwp, dates.late_pkp_since)
    me = person.headers()
    credential = await api.call("POST", "identity", "/v1/signing-credentials", headers=me, expect=201, json={
        "kind": "kode_otorisasi", "passphrase": PASSPHRASE, "liveness_reference": f"ok-late-{cast.tag}"})
    assert credential["subject"]["name"] == LATE_NAME

    # -- his obligations: every SPT Masa PPN since he became PKP is overdue --------------------------------------
    seen: dict[str, Any] = {}

    async def overdue() -> bool:  # once filing's replica has him (404 until then) and identity's PKP decision
        seen["owed"] = await api.call("GET", "filing", "/v1/obligations", headers=me, expect=(200, 404), params={
            "npwp": person.npwp, "from": dates.late_pkp_since[:7], "to": dates.late_period})
        if "items" not in seen["owed"]:
            assert seen["owed"]["code"] == "taxpayer.not_found", seen["owed"]
            return False
        return [o["status"] for o in seen["owed"]["items"] if o["obligation"] == "spt_masa_ppn"] == ["overdue"] * 3

    await eventually(overdue, 60, "three overdue SPT Masa PPN in filing's obligations")

    # -- one faktur of the overdue period, made today: late (Art 14(4)) ----------------------------------------
    await reference.in_force()  # filing's worker issues the STPs below with the 2027 calendar
    buyer = cast.taxpayers["buyer"]
    made: dict[str, Any] = {}

    async def drafted() -> bool:  # invoice's replica may not have his PKP decision yet (events; longer under faults)
        answer = await api.http.post(f"{api.url('invoice')}/v1/invoices", headers=me, json={
            "seller_npwp": person.npwp, "invoice_date": f"{dates.late_period}-15", "trx_code": "04",
            "reference": f"TM-{cast.tag}-NOWAK", "buyer": {"document": "TIN", "tin": buyer.npwp, "name": buyer.name,
                                                            "address": "Jl. Asia Afrika 5"},
            "lines": [{"name": "Jasa konsultasi", "unit": "UM.0030", "price": LATE_PRICE, "qty": "1", "opt": "B"}]})
        if answer.status_code == 201:
            made["draft"] = answer.json()
            return True
        refusal = Refused(answer, (201,))
        assert {"seller.unknown", "seller.not_pkp"} & set(re.findall(r"seller\.[a-z_]+", str(refusal.body))), refusal
        return False

    await eventually(drafted, 90, "invoice knowing him as a PKP")
    draft = made["draft"]
    out.invoice_id, out.principal, dpp = draft["id"], money(draft["ppn"]), money(draft["dpp"])
    job = await api.call("POST", "invoice", "/v1/signing-jobs", headers=me, expect=(201, 202), json={
        "invoice_ids": [out.invoice_id], "credential_id": credential["id"], "passphrase": PASSPHRASE})
    done = await wait_for(api, "invoice", f"/v1/signing-jobs/{job['id']}", me, ("completed", "failed"), 60)
    assert (done["state"], done["signed"]) == ("completed", 1), done
    out.nsfp = done["items"][0]["nsfp"]

    # -- his overdue return, kurang bayar, submitted and paid after its payment due date ------------------------
    spt = await prefilled(api, me, person.npwp, dates.late_period, invoices=1)
    assert (spt["outcome"], money(spt["amount_due"])) == ("kurang_bayar", out.principal), spt
    submitted = await api.call("POST", "filing", f"{SPT}/{dates.late_period}/submission", headers=me,
                               params={"npwp": person.npwp}, json={"credential_id": credential["id"],
                                                                   "passphrase": PASSPHRASE, "kind": "normal"})
    assert (submitted["status"], submitted["outcome"]) == ("awaiting_payment", "kurang_bayar"), submitted
    (request,) = submitted["payments"]
    due = date.fromisoformat(request["payment_due_date"])
    assert (request["kap_kjs"], money(request["amount"])) == (PPN, out.principal) and due < dates.today, request
    code = await billing_of(api, me, submitted["spt_id"])
    paid = await api.pay(code["code"])
    out.ntpns.append(paid["ntpn"])
    paid_on = datetime.fromisoformat(paid["paid_at"]).astimezone(JAKARTA).date()
    out.submission = await filed(api, me, person.npwp, dates.late_period, 0)
    assert (out.submission["receipt"]["late"], out.submission["receipt"]["ntpn"]) == (True, paid["ntpn"]), out.submission

    # -- his STPs: Art 14(4) of the faktur, Art 7(1) of the late return, Art 9(2a) of the late payment -----------
    stps = await stps_of(api, me, {"late_faktur", "late_payment"}, art_7_1={dates.late_period})
    faktur = stps["late_faktur"]
    assert (faktur["invoice_id"], money(faktur["principal"]), money(faktur["amount"]), faktur["kap_kjs"]) == (
        out.invoice_id, dpp, rupiah(dpp * Decimal("0.01")), STP_PPN), faktur
    fine = stps[dates.late_period]
    assert (money(fine["amount"]), fine["basis"], fine["kap_kjs"]) == (FINE, "UU KUP Art 7(1)", STP_PPN), fine
    # issued by the filing itself, unless the worker's hourly sanction schedule got there first (module docstring)
    assert fine["reason"] in ("late_filing", "not_filed"), fine
    interest = stps["late_payment"]
    months = months_between(due, paid_on)
    rate = reference.tier_2(f"{due:%Y-%m}")
    out.interest = rupiah(out.principal * rate * months / 100)
    assert (money(interest["principal"]), interest["interest_months"], Decimal(str(interest["monthly_rate_percent"])),
            money(interest["amount"]), interest["kap_kjs"]) == (out.principal, months, rate, out.interest,
                                                                "411211-300"), (interest, due, paid_on)
    assert interest["amount"] != "0" and interest["period"] == dates.late_period, interest
    out.interest_figures = f"Rp{out.principal} x {rate}% x {months} months ({due} to {paid_on}) = Rp{out.interest}"

    # -- an officer's sanction run of each other overdue period: one not_filed STP each ----------------------------
    run_officer = api.officer("filing:officer")
    for period in dates.late_not_filed:
        run = await api.call("POST", "filing", "/internal/v1/sanction-runs", headers=run_officer, expect=201,
                             json={"obligation": "spt_masa_ppn", "period": period, "npwps": [person.npwp]})
        assert run["issued"] in (0, 1) and run["late_filing"] == 0, run  # 0: the schedule issued it already
        assert date.fromisoformat(run["stp_due_date"]).year == reference.year, run
    stps = await stps_of(api, me, {"late_faktur", "late_payment"}, art_7_1={dates.late_period, *dates.late_not_filed})
    for period in dates.late_not_filed:
        assert (stps[period]["reason"], money(stps[period]["amount"])) == ("not_filed", FINE), stps[period]
    out.stps = list(stps.values())
    out.fines = {k: money(v["amount"]) for k, v in stps.items()}

    # -- payment records a debt from each STP; each paid at once with its own code ---------------------------------
    stp_debts = await debts_from(api, me, {s["id"] for s in out.stps})
    for stp in out.stps:
        debt = stp_debts[stp["id"]]
        assert (debt["kind"], debt["assessment_number"], money(debt["amount"]), debt["due_date"]) == (
            "stp", stp["number"], money(stp["amount"]), stp["due_date"]), (debt, stp)
        code = await api.call("POST", "payment", f"/v1/debts/{debt['id']}/billing-code", headers=me, expect=201)
        assert money(code["amount"]) == money(stp["amount"]), code
        out.ntpns.append((await api.pay(code["code"]))["ntpn"])
        settled = await api.call("GET", "payment", f"/v1/debts/{debt['id']}", headers=me)
        assert (settled["status"], settled["ntpn"], settled["outstanding"]) == ("settled", out.ntpns[-1], "0"), settled

    # -- his legacy debts, imported by an officer, payable at once ------------------------------------------------
    officer = api.officer("payment:officer")
    csv = legacy_csv(person.npwp, cast.tag)
    report = await api.call("POST", "payment", "/internal/v1/legacy-debts/imports", content=csv.encode(),
                            headers={**officer, "content-type": "text/csv"}, expect=201)
    assert (report["file"]["rows"], report["imported"]["rows"], report["rejected"]["rows"], report["balanced"]) == (
        2, 2, 0, True), report
    assert money(report["imported"]["amount"]) == Decimal(2_900_000), report
    out.import_id = report["import_id"]
    again = await api.call("POST", "payment", "/internal/v1/legacy-debts/imports", content=csv.encode(),
                           headers={**officer, "content-type": "text/csv"}, expect=(200, 201))
    assert (again["imported"]["rows"], again["already_imported"]["rows"]) == (0, 2), again
    debts = await api.call("GET", "payment", "/v1/debts", headers=me, params={"status": "open"})
    out.debts = {d["source_reference"].rsplit("-", 1)[-1]: d for d in debts["items"] if d["legacy"]}
    assert sorted(out.debts) == ["A", "B"] and all(d["legacy"] for d in out.debts.values()), debts

    # -- one paid at once with its own code ----------------------------------------------------------------------
    code = await api.call("POST", "payment", f"/v1/debts/{out.debts['B']['id']}/billing-code", headers=me,
                          expect=201)
    out.ntpns.append((await api.pay(code["code"]))["ntpn"])
    settled = await api.call("GET", "payment", f"/v1/debts/{out.debts['B']['id']}", headers=me)
    assert (settled["status"], settled["ntpn"], settled["outstanding"]) == ("settled", out.ntpns[-1], "0"), settled

    # -- the other in three instalments: applied for, granted by an officer, paid one by one -------------------------
    applied = await api.call("POST", "payment", "/v1/instalments", headers=me, expect=201, json={
        "debt_id": out.debts["A"]["id"], "kind": "instalment", "instalments": 3,
        "reason": "Kesulitan likuiditas: piutang usaha belum tertagih"})
    assert applied["status"] == "applied", applied
    queue = await api.call("GET", "payment", "/internal/v1/instalments", headers=officer)
    assert applied["id"] in {a["id"] for a in queue["items"]}, queue
    granted = await api.call("POST", "payment", f"/internal/v1/instalments/{applied['id']}/decision",
                             headers=officer, json={"decision": "approve"})
    assert (granted["status"], len(granted["schedule"])) == ("granted", 3), granted
    assert sum(money(i["principal"]) for i in granted["schedule"]) == Decimal(2_400_000), granted["schedule"]
    for instalment in granted["schedule"]:
        code = await api.call("POST", "payment",
                              f"/v1/instalments/{applied['id']}/instalments/{instalment['number']}/billing-code",
                              headers=me, expect=201)
        assert money(code["amount"]) == money(instalment["total"]), (code, instalment)
        out.ntpns.append((await api.pay(code["code"]))["ntpn"])
    out.arrangement = await api.call("GET", "payment", f"/v1/instalments/{applied['id']}", headers=me)
    assert out.arrangement["status"] == "completed", out.arrangement
    assert [i["status"] for i in out.arrangement["schedule"]] == ["paid"] * 3, out.arrangement
    debt = await api.call("GET", "payment", f"/v1/debts/{out.debts['A']['id']}", headers=me)
    assert (debt["status"], debt["outstanding"]) == ("settled", "0"), debt
    ledger = await api.call("GET", "payment", "/v1/ledger", headers=me)
    assert ledger["owed"] == "0", ledger
    await notices(api, me, {"debt.recorded", "instalment.granted", "payment.confirmed", "spt.submitted"})
    return out
