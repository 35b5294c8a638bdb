"""The legacy debt import through the API on the real database (seed 000 item 16): a file's good rows become debts
payable at once, bad rows are rejected with stable codes, the same file twice imports nothing new, and the
reconciliation report's totals equal the file's, overall and per KAP-KJS."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from contracts.payment import DebtRecorded, DebtSettled
from kit.auth import JWKSCache
from kit.testing.events import random_npwp
from kit.testing.service import api_client
from payment.debts.legacy import COLUMNS
from payment.debts.service import write_imported_debt_events
from payment.ledger.service import audit_ledger
from payment.main import create_app
from payment.settings import LegacyImportSettings, PaymentSettings
from services.payment.tests.conftest import World
from services.payment.tests.factories import MAKER, bank_token, officer_token, taxpayer_token, valid_npwp

PATH = "/internal/v1/legacy-debts/imports"


def csv_file(rows: Sequence[dict[str, str]], columns: Sequence[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def row(npwp: str, reference: str, **changes: str) -> dict[str, str]:
    values = {"npwp": npwp, "kap_kjs": "411211-300", "period": "", "assessment_number": f"00{reference}/107/19/001/20",
              "amount": "2500000", "issued_on": "2020-03-10", "due_date": "2020-04-10", "legacy_reference": reference}
    return {**values, **changes}


async def upload(world: World, content: bytes, headers: dict[str, str] | None = None, *,
                 write_events: bool = True) -> Any:
    """POST the file; then, unless told not to, what the worker does next: write the imports' `DebtRecorded`."""
    response = await world.http.post(PATH, content=content, headers={
        "content-type": "text/csv", **(officer_token() if headers is None else headers)})
    if write_events and response.status_code == 201:
        while await write_imported_debt_events(world.uow(), batch=100):
            pass
    return response


def ref() -> str:
    return f"LGC{random_npwp()[:10]}"


async def test_a_file_is_imported_once_and_its_debts_are_payable_at_once(world: World) -> None:
    a, b = valid_npwp(), valid_npwp()
    legacy15 = f"{b[1:3]}.{b[3:6]}.{b[6:9]}.{b[9]}-{b[10:13]}.{b[13:]}"  # the same taxpayer, NPWP15 as printed
    refs = [ref() for _ in range(4)]
    content = csv_file([
        row(a, refs[0]),
        row(a, refs[1], kap_kjs="411126-310", amount="12000000", issued_on="2019-11-30", due_date="2019-12-30"),
        row(legacy15, refs[2], kap_kjs="411125-200", period="2018", assessment_number="", amount="300000"),
        row(b, refs[3], kap_kjs="411211-320", amount="450000"),
    ])
    response = await upload(world, content)
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["file"], report["imported"], report["already_imported"], report["rejected"]) == (
        {"rows": 4, "amount": "15250000"}, {"rows": 4, "amount": "15250000"}, {"rows": 0, "amount": "0"},
        {"rows": 0, "amount": "0"})
    assert report["balanced"] is True and report["rejections"] == [] and report["unreadable_amounts"] == 0
    assert [(k["kap_kjs"], k["imported"]["amount"]) for k in report["by_kap_kjs"]] == [
        ("411125-200", "300000"), ("411126-310", "12000000"), ("411211-300", "2500000"), ("411211-320", "450000")]

    debts = (await world.http.get("/v1/debts", headers=taxpayer_token(b))).json()["items"]
    assert sorted((d["kind"], d["kap_kjs"], d["period"], d["assessment_number"], d["amount"], d["legacy"])
                  for d in debts) == [
        ("skpkbt", "411211-320", None, f"00{refs[3]}/107/19/001/20", "450000", True),
        ("spt_underpayment", "411125-200", "2018", None, "300000", True)]
    recorded = [e for _, e in await world.events("DebtRecorded", npwp=a)]
    assert sorted((e.kind, e.amount, e.legacy, e.source_reference) for e in recorded  # type: ignore[attr-defined]
                  ) == [("skpkb", "12000000", True, refs[1]), ("stp", "2500000", True, refs[0])]
    assert all(isinstance(e, DebtRecorded) for e in recorded)

    # The same file again: nothing new, every row found already imported, and the totals still the file's.
    again = (await upload(world, content)).json()
    assert (again["imported"]["rows"], again["already_imported"], again["rejected"]["rows"], again["balanced"]) == (
        0, {"rows": 4, "amount": "15250000"}, 0, True)
    assert again["import_id"] != report["import_id"]
    assert await world.scalar("SELECT count(*) FROM debt WHERE source_reference = ANY(:r)", r=refs) == 4
    assert len(await world.events("DebtRecorded", npwp=a)) == 2

    # Payable at once: a code from the debt, paid at the bank, settles it.
    stp = next(d for d in (await world.http.get("/v1/debts", headers=taxpayer_token(a))).json()["items"]
               if d["kind"] == "stp")
    code = await world.http.post(f"/v1/debts/{stp['id']}/billing-code", headers=taxpayer_token(a))
    assert code.status_code == 201, code.text
    assert (code.json()["origin"], code.json()["amount"]) == ("bill", "2500000")
    paid = await world.pay(code.json()["code"], "2500000", reference=f"PAY-{refs[0]}")
    assert paid.status_code == 201, paid.text
    settled = [e for _, e in await world.events("DebtSettled", npwp=a)]
    assert [(e.debt_id, e.ntpns) for e in settled if isinstance(e, DebtSettled)] == [
        (stp["id"], [paid.json()["ntpn"]])]
    owed = (await world.http.get("/v1/ledger", headers=taxpayer_token(a))).json()["owed"]
    assert owed == "12000000"

    stored = await world.http.get(f"{PATH}/{report['import_id']}", headers=officer_token())
    # The report as answered, with the events the worker has written since.
    assert (report["events_written"], report["events_complete"]) == (0, False)
    assert stored.status_code == 200 and stored.json() == {**report, "events_written": 4, "events_complete": True}
    assert (await audit_ledger(world.uow())).problems == []


async def test_bad_rows_are_rejected_with_stable_codes_and_the_totals_still_add_up(world: World) -> None:
    npwp, other = valid_npwp(), valid_npwp()
    taken = ref()
    assert (await upload(world, csv_file([row(other, taken, amount="100000")]))).status_code == 201
    good, repeated = ref(), ref()
    rows = [
        row(npwp, good, amount="1000000"),                                               # line 2: imported
        row(npwp, repeated, amount="10"),                                                # line 3: imported
        row(npwp, repeated, amount="20"),                                                # legacy_debt.reference_repeated
        row(npwp, "", amount="30"),                                                      # legacy_debt.reference_invalid
        row("0123456789012345", ref(), amount="40"),                                     # legacy_debt.npwp_invalid
        row(npwp, ref(), kap_kjs="999999-300", amount="50"),                             # billing.kap_unknown
        row(npwp, ref(), kap_kjs="411211300", amount="60"),                              # billing.kap_kjs_invalid
        row(npwp, ref(), assessment_number="", amount="70"),                             # billing.assessment_number_required
        row(npwp, ref(), period="2020-01", amount="80"),                                 # billing.period_not_applicable
        row(npwp, ref(), kap_kjs="411211-100", period="2020-13", assessment_number="", amount="90"),  # period_invalid
        row(npwp, ref(), kap_kjs="411618-100", assessment_number="", amount="100"),      # debt.not_a_debt
        row(npwp, ref(), amount="-5"),                                                   # billing.amount_invalid
        row(npwp, ref(), amount="1000.50"),                                              # billing.amount_invalid
        row(npwp, ref(), amount="satu juta"),                                            # billing.amount_invalid
        row(npwp, ref(), issued_on="10/03/2020", amount="110"),                          # legacy_debt.date_invalid
        row(npwp, ref(), due_date="2020-02-30", amount="120"),                           # legacy_debt.date_invalid
        row(npwp, ref(), due_date="2020-03-09", amount="130"),                           # legacy_debt.due_before_issue
        row(other, taken, amount="999"),                                                 # legacy_debt.reference_conflict
        row(other, ref(), assessment_number=f"00{taken}/107/19/001/20", amount="140"),   # debt.assessment_already_recorded
    ]
    content = csv_file(rows) + b"0100000000000000,411211-300,,X,5\r\n\r\n"              # legacy_debt.columns; blank line
    response = await upload(world, content)
    assert response.status_code == 201, response.text
    report = response.json()
    expected = {
        4: "legacy_debt.reference_repeated", 5: "legacy_debt.reference_invalid", 6: "legacy_debt.npwp_invalid",
        7: "billing.kap_unknown", 8: "billing.kap_kjs_invalid", 9: "billing.assessment_number_required",
        10: "billing.period_not_applicable", 11: "billing.period_invalid", 12: "debt.not_a_debt",
        13: "billing.amount_invalid", 14: "billing.amount_invalid", 15: "billing.amount_invalid",
        16: "legacy_debt.date_invalid", 17: "legacy_debt.date_invalid", 18: "legacy_debt.due_before_issue",
        19: "legacy_debt.reference_conflict", 20: "debt.assessment_already_recorded", 21: "legacy_debt.columns",
    }
    assert {r["line"]: r["code"] for r in report["rejections"]} == expected
    assert all(r["detail"] for r in report["rejections"])
    assert report["rejections_complete"] is True
    assert report["rejections_by_code"]["billing.amount_invalid"] == 3

    # Every row in one outcome: the amounts of the file (what reads as a number) = imported + rejected.
    file_amount = sum(Decimal(r["amount"]) for r in rows if r["amount"] != "satu juta") + Decimal(5)
    assert report["file"] == {"rows": 20, "amount": f"{file_amount:f}"}
    assert report["imported"] == {"rows": 2, "amount": "1000010"}
    assert report["rejected"]["rows"] == 18 and report["unreadable_amounts"] == 1
    assert Decimal(report["imported"]["amount"]) + Decimal(report["rejected"]["amount"]) == file_amount
    assert report["balanced"] is True
    for line in report["by_kap_kjs"]:
        assert line["file"]["rows"] == sum(line[o]["rows"] for o in ("imported", "already_imported", "rejected"))
        assert Decimal(line["file"]["amount"]) == sum(
            Decimal(line[o]["amount"]) for o in ("imported", "already_imported", "rejected"))
    assert await world.scalar("SELECT count(*) FROM debt WHERE npwp = :n", n=npwp) == 2
    assert await world.scalar("SELECT amount FROM debt WHERE source_reference = :r", r=taken) == 100000


@pytest.mark.parametrize("content, status, code", [
    (b"", 422, "legacy_debt.file_empty"),
    (b"npwp,kap_kjs,amount\r\n0100000000000000,411211-300,5\r\n", 422, "legacy_debt.header_invalid"),
    (csv_file([], columns=[*COLUMNS, "notes"]), 422, "legacy_debt.header_invalid"),
    ("npwp,kap_kjs,period,amount,issued_on,due_date,legacy_reference\r\nTr\xe8s,".encode("latin-1"), 422,
     "legacy_debt.file_unreadable"),
], ids=["empty", "columns missing", "unknown column", "not utf-8"])
async def test_a_file_that_cannot_be_read_is_refused_whole(world: World, content: bytes, status: int,
                                                         code: str) -> None:
    before = await world.scalar("SELECT count(*) FROM legacy_debt_import")
    response = await upload(world, content)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert await world.scalar("SELECT count(*) FROM legacy_debt_import") == before


async def test_only_officers_import_and_an_idempotency_key_replays_the_report(world: World) -> None:
    content = csv_file([row(valid_npwp(), ref())])
    for headers, status, error in [
        ({}, 401, "unauthorized"),
        (taxpayer_token(random_npwp(), scopes=("payment:officer",)), 403, "auth.officer_required"),
        (bank_token(scopes=("payment:officer",)), 403, "auth.officer_required"),
        (officer_token(scopes=("identity:officer",)), 403, "auth.missing_scope"),
        (officer_token(act={"sub": "someone"}), 403, "auth.officer_required"),
    ]:
        refused = await upload(world, content, headers)
        assert (refused.status_code, refused.json()["code"]) == (status, error)
    internal = await upload(world, content, officer_token(kind="internal"))
    assert internal.status_code == 201 and internal.json()["imported"]["rows"] == 1

    keyed = {**officer_token(), "Idempotency-Key": "legacy-2026-12-batch-7"}
    other = csv_file([row(valid_npwp(), ref())])
    first = await upload(world, other, keyed)
    replay = await upload(world, other, keyed)
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json() and replay.headers.get("idempotent-replayed") == "true"
    assert first.json()["imported"]["rows"] == 1
    missing = await world.http.get(f"{PATH}/00000000-0000-4000-8000-000000000000", headers=officer_token())
    assert (missing.status_code, missing.json()["code"]) == (404, "legacy_debt.import_not_found")


async def test_a_file_larger_than_one_import_takes_is_refused(settings: PaymentSettings) -> None:
    small = settings.model_copy(update={"legacy_import": LegacyImportSettings(max_bytes=64)})
    async with api_client(create_app(small, jwks=JWKSCache(small.auth, keys=MAKER.jwks()))) as http:
        response = await http.post(PATH, content=csv_file([row(valid_npwp(), ref())]),
                                   headers={"content-type": "text/csv", **officer_token()})
    assert (response.status_code, response.json()["code"]) == (413, "legacy_debt.file_too_large")
    assert response.json()["details"]["max_bytes"] == 64
