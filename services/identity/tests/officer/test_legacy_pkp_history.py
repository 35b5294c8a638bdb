"""Bug (a) of issue 11: a legacy PKP imported with `pkp_since` must read as PKP, from that date, in its history and
in its events, sorted by effective date (seed 000 item 3 is this class of failure: PKP status lost in migration)."""

from __future__ import annotations

from identity.main import create_app
from kit.testing.events import outbox_events
from kit.testing.service import api_client
from services.identity.tests.factories import officer_headers, random_npwp15, taxpayer_headers


async def test_a_legacy_pkp_is_pkp_from_pkp_since_in_history_and_events(settings, sessions) -> None:
    npwp15 = random_npwp15()
    npwp = "0" + npwp15
    csv_text = ("npwp15,name,kind,is_pkp,pkp_since,email\n"
                f"{npwp15},PT Lama Sekali,company,ya,2019-04-01,pajak@lamasekali.id\n")
    async with api_client(create_app(settings)) as http:
        report = await http.post("/internal/v1/legacy-imports", content=csv_text,
                                 headers={**officer_headers(settings), "content-type": "text/csv"})
        assert report.json()["created"] == 1, report.text
        profile = await http.get(f"/v1/taxpayers/{npwp}/profile", headers=taxpayer_headers(settings, npwp))
        history = await http.get(f"/v1/taxpayers/{npwp}/pkp-status", headers=taxpayer_headers(settings, npwp))
    assert profile.json()["is_pkp"] is True

    by_date = sorted(history.json(), key=lambda p: (p["effective_date"], p["recorded_at"]))
    assert by_date[-1]["is_pkp"] is True, f"the history's latest entry contradicts the PKP flag: {by_date}"
    assert [(p["is_pkp"], p["effective_date"], p["source"]) for p in by_date] == [(True, "2019-04-01",
                                                                                     "legacy_import")]

    async with sessions() as s:
        events = [e for key, e in await outbox_events(s, event_type="PKPStatusChanged") if key == npwp]
    events.sort(key=lambda e: e.effective_date)
    assert events[-1].is_pkp is True, "the events' latest status contradicts the PKP flag"
    assert [(e.is_pkp, e.effective_date.isoformat(), e.source_of_change) for e in events] == [
        (True, "2019-04-01", "legacy_import")]
