"""The legacy import's `registered_on` (seed item 24: the SPT Tahunan a legacy taxpayer owes, and KSWP checks, count
from its registration in the legacy system, not from its import day): the taxpayer is registered at 00:00 WIB of that
day in its row, its first PKP period and its events; a row that cannot be imported says why with its code and
creates nothing; a row for a taxpayer already here, also once NIK matching moved its NPWP, is compared, its
registration date included, and never applied over what is here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from identity.main import create_app
from kit.clock import JAKARTA
from kit.testing.events import outbox_events
from kit.testing.service import api_client
from services.identity.tests.factories import officer_headers, random_npwp15, service_headers

HEADER = "npwp15,name,kind,is_pkp,pkp_since,email,registered_on\n"
ANDI = "3578080102030001"  # Andi Wijaya in the seeded population registry


async def imported(http: httpx.AsyncClient, settings: Any, csv_text: str) -> dict[str, Any]:
    response = await http.post("/internal/v1/legacy-imports", content=csv_text,
                               headers={**officer_headers(settings), "content-type": "text/csv"})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_legacy_registration_date_is_kept_in_rows_periods_and_events(settings, sessions, flows) -> None:
    await flows.clean(ANDI)
    old, pkp, fresh, future, reversed_ = (random_npwp15() for _ in range(5))
    tomorrow = datetime.now(JAKARTA).date() + timedelta(days=1)
    rows = [f"{old},Andi Wijaya,individual,tidak,,andi@lama.id,2020-03-02",
            f"{pkp},PT Lama Terdaftar,company,ya,2019-04-01,pajak@lamaterdaftar.id,2018-01-15",
            f"{fresh},CV Baru Impor,company,tidak,,kontak@cvbaru.id,",
            f"{future},CV Masa Depan,company,tidak,,x@masadepan.id,{tomorrow}",
            f"{reversed_},PT Terbalik,company,ya,2019-04-01,x@terbalik.id,2020-01-01"]
    csv_text = HEADER + "\n".join(rows) + "\n"
    started = datetime.now(UTC)
    async with api_client(create_app(settings)) as http:
        report = await imported(http, settings, csv_text)
        assert (report["rows"], report["created"], report["conflicts"]) == (5, 3, []), report
        assert [(e["line"], e["npwp15"], e["code"]) for e in report["errors"]] == [
            (5, future, "legacy_import.registered_in_future"),
            (6, reversed_, "legacy_import.registered_after_pkp_since")], report["errors"]
        registry = service_headers(settings, "registry:read")
        read = await http.get(f"/internal/v1/taxpayers/0{old}", headers=registry)
        assert datetime.fromisoformat(read.json()["registered_at"]) == datetime(2020, 3, 2, tzinfo=JAKARTA), read.text
        for refused in (future, reversed_):
            assert (await http.get(f"/internal/v1/taxpayers/0{refused}", headers=registry)).status_code == 404

        # the same file again: nothing new, nothing differs
        again = await imported(http, settings, csv_text)
        assert (again["created"], again["unchanged"], again["conflicts"], len(again["errors"])) == (0, 3, [], 2)

        # another registration date for taxpayers already here: reported, not applied
        moved = await imported(http, settings, HEADER + rows[0].replace("2020-03-02", "2020-03-03") + "\n"
                               + rows[2] + "2015-06-01\n")
        assert (moved["created"], moved["unchanged"]) == (0, 0), moved
        differences = {c["npwp"]: c["differences"] for c in moved["conflicts"]}
        assert differences["0" + old] == {"registered_on": {"here": "2020-03-02", "legacy": "2020-03-03"}}
        fresh_day = differences["0" + fresh]["registered_on"]
        assert fresh_day["legacy"] == "2015-06-01" and fresh_day["here"] >= started.astimezone(JAKARTA).date().isoformat()

        # NIK matching moves the NPWP: the legacy row still finds its taxpayer (by NPWP15), creates nothing
        matched = await http.post(f"/internal/v1/taxpayers/0{old}/nik-matching", headers=officer_headers(settings),
                                  json={"nik": ANDI})
        assert matched.status_code == 200 and matched.json()["npwp"] == ANDI, matched.text
        after = await imported(http, settings, HEADER + rows[0] + "\n")
        assert (after["created"], after["unchanged"], after["conflicts"]) == (0, 1, []), after
        renamed = await imported(http, settings, HEADER + rows[0].replace("Andi Wijaya", "Andi W.") + "\n")
        assert [(c["npwp"], c["npwp15"], list(c["differences"])) for c in renamed["conflicts"]] == [
            (ANDI, old, ["name"])], renamed

    async with sessions() as s:
        found = {npwp: (registered_at, periods) for npwp, registered_at, periods in (await s.execute(text(
            "SELECT t.legacy_npwp15, t.registered_at, array_agg(array[p.is_pkp::text, p.effective_date::text, "
            "p.source] ORDER BY p.recorded_at) FROM taxpayer t JOIN pkp_status_period p ON p.taxpayer_id = t.id "
            "WHERE t.legacy_npwp15 = ANY(:n) GROUP BY t.id"), {"n": [old, pkp, fresh, future, reversed_]})).all()}
        registered = {key: e for key, e in await outbox_events(s, event_type="TaxpayerRegistered")}
        pkp_events = [(key, e.is_pkp, e.effective_date) for key, e in await outbox_events(
            s, event_type="PKPStatusChanged") if key in ("0" + old, "0" + pkp, "0" + fresh)]
    assert sorted(found) == sorted([old, pkp, fresh])  # the refused rows created nothing
    assert found[old] == (datetime(2020, 3, 2, tzinfo=JAKARTA), [["false", "2020-03-02", "legacy_import"]])
    assert found[pkp] == (datetime(2018, 1, 15, tzinfo=JAKARTA), [["true", "2019-04-01", "legacy_import"]])
    fresh_at, fresh_periods = found[fresh]
    fresh_on = fresh_at.astimezone(JAKARTA).date()  # the registration's day in Jakarta
    assert fresh_at >= started and fresh_periods == [["false", fresh_on.isoformat(), "legacy_import"]]
    # TaxpayerRegistered carries the legacy registration instant (the replicas' registered_at)
    assert registered["0" + old].registered_at == datetime(2020, 3, 2, tzinfo=JAKARTA)
    assert registered["0" + pkp].registered_at == datetime(2018, 1, 15, tzinfo=JAKARTA)
    assert registered["0" + fresh].registered_at >= started
    assert sorted(pkp_events) == sorted([("0" + old, False, date(2020, 3, 2)), ("0" + pkp, True, date(2019, 4, 1)),
                                         ("0" + fresh, False, fresh_on)])
