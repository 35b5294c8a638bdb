"""The legacy import written set-based (rows checked a batch at a time, COPYed to a staging table, then a few
statements over all of them), on the real database: what it writes is what the per-debt path writes (the same
`DebtRecorded` envelope, the same ledger recording), the first row of the file wins across batches, a file that turns
unreadable after some batches were staged writes nothing, and `Idempotency-Key` tells files apart by their digest."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, timezone
from typing import Any

from contracts.payment import DebtRecorded
from contracts.registry import parse
from kit.auth import JWKSCache
from kit.outbox import outbox_row
from kit.testing.service import api_client
from payment.debts.recording import recorded
from payment.debts.service import write_imported_debt_events
from payment.ledger.accounts import account_id, liability_key, state_revenue_key
from payment.ledger.postings import debt_key
from payment.ledger.rules import TransferCode, transfer_id
from payment.ledger.service import audit_ledger
from payment.main import create_app
from payment.models import Debt
from payment.settings import LegacyImportSettings, PaymentSettings
from services.payment.tests.conftest import World
from services.payment.tests.factories import MAKER, officer_token, taxpayer_token, valid_npwp
from services.payment.tests.test_legacy_debts import PATH, csv_file, ref, row, upload

WIB = timezone(timedelta(hours=7))


async def test_the_set_based_writes_equal_what_one_debt_at_a_time_writes(world: World) -> None:
    npwp = valid_npwp()
    refs = [ref(), ref()]
    content = csv_file([row(npwp, refs[0], amount="2500000"),
                        row(npwp, refs[1], kap_kjs="411125-200", period="2019", assessment_number="",
                            amount="300000", issued_on="2020-12-31", due_date="2021-01-31")])
    assert (await upload(world, content)).status_code == 201
    debts = await world.rows("SELECT * FROM debt WHERE source_reference = ANY(:r) ORDER BY source_reference",
                             r=sorted(refs))
    assert len(debts) == 2
    for values in debts:
        debt = Debt(**values)
        [stored] = await world.rows("SELECT id, key, aggregate_type, aggregate_id, event_type, event_version, "
                                    "payload, headers FROM outbox WHERE aggregate_id = :d", d=str(debt.id))
        expected = outbox_row(recorded(debt), key=npwp, subject=str(debt.id), aggregate_type="debt", sequence=1)
        assert (stored["payload"].keys(), stored["payload"]["data"].keys()) == (
            expected["payload"].keys(), expected["payload"]["data"].keys())
        assert stored["headers"].keys() - {"correlation_id"} == expected["headers"].keys()  # the request's id
        envelope, event = parse(stored["payload"])
        assert event == recorded(debt) and isinstance(event, DebtRecorded)
        assert (envelope.id, envelope.subject, envelope.sequence, envelope.partition_key, envelope.source) == (
            stored["id"], str(debt.id), 1, npwp, "payment")
        assert (stored["key"], stored["aggregate_type"], stored["event_type"], stored["event_version"]) == (
            npwp, "debt", "DebtRecorded", 1)
        assert stored["headers"]["event_id"] == str(stored["id"])
        assert stored["headers"]["event_type"] == "DebtRecorded"

        # The recording `debt_posting` would post: its id, its accounts, on the day of issue in WIB.
        [transfer] = await world.rows("SELECT * FROM transfer WHERE reference = :d", d=str(debt.id))
        liability = liability_key(npwp, debt.kap_kjs, period=debt.period if debt.assessment_number is None else None,
                                  assessment_number=debt.assessment_number)
        assert (transfer["id"], transfer["debit_account_id"], transfer["credit_account_id"], transfer["amount"],
                transfer["code"]) == (transfer_id(debt_key(str(debt.id))), account_id(liability),
                                      account_id(state_revenue_key(debt.kap_kjs)), debt.amount,
                                      int(TransferCode.LIABILITY_RECORDED))
        assert transfer["effective_at"] == datetime.combine(debt.issued_on, time(), WIB)
        assert (debt.outstanding, debt.interest_from, debt.interest_next_on) == (
            debt.amount, debt.due_date, debt.due_date + timedelta(days=1))
    assert (await audit_ledger(world.uow())).problems == []


def _app_with(settings: PaymentSettings, **legacy: Any) -> Any:
    small = settings.model_copy(update={"legacy_import": LegacyImportSettings(**legacy)})
    return create_app(small, jwks=JWKSCache(small.auth, keys=MAKER.jwks()))


async def test_across_batches_the_first_row_of_the_file_wins_and_the_report_lists_what_the_database_found(
        world: World, settings: PaymentSettings) -> None:
    npwp, other = valid_npwp(), valid_npwp()
    taken = ref()
    assert (await upload(world, csv_file([row(other, taken, amount="100000")]))).status_code == 201
    number = f"00{ref()}/107/19/001/20"
    refs = [ref() for _ in range(5)]
    rows = [row(npwp, refs[0], amount="10"),
            row(npwp, refs[1], assessment_number=number, amount="20"),
            row(npwp, refs[2], amount="x"),                                # billing.amount_invalid, while checking
            row(npwp, refs[3], assessment_number=number, amount="40"),     # the STP of line 3, in the next chunk
            row(other, taken, amount="999"),                               # imported before with other contents
            row(npwp, refs[4], amount="60")]
    async with api_client(_app_with(settings, batch=2, chunk=3, listed_rejections=2)) as http:
        response = await http.post(PATH, content=csv_file(rows), headers={"content-type": "text/csv",
                                                                          **officer_token()})
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["imported"], report["rejected"]["rows"], report["balanced"]) == (
        {"rows": 3, "amount": "90"}, 3, True)
    assert report["rejections_by_code"] == {"billing.amount_invalid": 1, "debt.assessment_already_recorded": 1,
                                            "legacy_debt.reference_conflict": 1}
    # At most `listed_rejections` listed (all counted): the one found while checking, then the first found after.
    assert [(r["line"], r["code"]) for r in report["rejections"]] == [
        (4, "billing.amount_invalid"), (5, "debt.assessment_already_recorded")]
    assert report["rejections_complete"] is False
    assert await world.scalar("SELECT source_reference FROM debt WHERE assessment_number = :n",
                              n=number) == refs[1]
    assert (await audit_ledger(world.uow())).problems == []


async def test_a_file_unreadable_after_some_batches_were_staged_writes_nothing(
        world: World, settings: PaymentSettings) -> None:
    npwp = valid_npwp()
    # Past the first 8 KiB the reader decodes, and after a chunk of 100 rows was written.
    good = csv_file([row(npwp, ref()) for _ in range(300)])
    assert len(good) > 3 * 8192
    content = good + "0100000000000000,Tr\xe8s\r\n".encode("latin-1")
    before = {t: await world.scalar(f"SELECT count(*) FROM {t}")
              for t in ("legacy_debt_import", "debt", "transfer", "outbox", "account")}
    async with api_client(_app_with(settings, batch=50, chunk=100)) as http:
        response = await http.post(PATH, content=content, headers={"content-type": "text/csv", **officer_token()})
    assert (response.status_code, response.json()["code"]) == (422, "legacy_debt.file_unreadable")
    assert {t: await world.scalar(f"SELECT count(*) FROM {t}") for t in before} == before
    assert await world.scalar("SELECT count(*) FROM debt WHERE npwp = :n", n=npwp) == 0


async def test_an_idempotency_key_knows_the_file_by_its_digest(world: World) -> None:
    keyed = {**officer_token(), "Idempotency-Key": f"legacy-{uuid.uuid4().hex}"}
    first = await upload(world, csv_file([row(valid_npwp(), ref())]), keyed)
    assert first.status_code == 201
    other = await upload(world, csv_file([row(valid_npwp(), ref())]), keyed)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency.key_reused")



async def test_an_import_s_events_follow_it_a_batch_per_transaction_each_debt_s_exactly_once(world: World) -> None:
    while await write_imported_debt_events(world.uow(), batch=100):  # other tests' imports, written first
        pass
    npwp = valid_npwp()
    refs = [ref() for _ in range(5)]
    response = await upload(world, csv_file([row(npwp, r) for r in refs]), write_events=False)
    report = response.json()
    assert (report["imported"]["rows"], report["events_written"], report["events_complete"]) == (5, 0, False)
    # Committed without its events, its debts payable at once.
    assert await world.events("DebtRecorded", npwp=npwp) == []
    debt_id = await world.scalar("SELECT id FROM debt WHERE source_reference = :r", r=refs[0])
    code = await world.http.post(f"/v1/debts/{debt_id}/billing-code", headers=taxpayer_token(npwp))
    assert code.status_code == 201, code.text

    # The worker's step, two debts per transaction.
    path = f"{PATH}/{report['import_id']}"
    progress = []
    while not (read := (await world.http.get(path, headers=officer_token())).json())["events_complete"]:
        progress.append(read["events_written"])
        await write_imported_debt_events(world.uow(), batch=2)
    assert progress == [0, 2, 4] and read["events_written"] == 5
    while await write_imported_debt_events(world.uow(), batch=2):  # nothing of this import is due again
        pass
    recorded = [e for _, e in await world.events("DebtRecorded", npwp=npwp)]
    debts = {str(d["id"]): d["source_reference"]
             for d in await world.rows("SELECT id, source_reference FROM debt WHERE npwp = :n", n=npwp)}
    assert sorted(e.debt_id for e in recorded) == sorted(debts)
    assert sorted(e.source_reference for e in recorded) == sorted(refs) and all(e.legacy for e in recorded)
    events = await world.rows("SELECT id, headers FROM outbox WHERE event_type = 'DebtRecorded' AND key = :n", n=npwp)
    assert all(e["headers"]["event_id"] == str(e["id"]) for e in events) and len({e["id"] for e in events}) == 5
