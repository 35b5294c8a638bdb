"""Officers' PKP decisions against the taxpayer's history. A decision wins from its date on, over earlier changes
dated later: the registration's own non-PKP period when it is dated before the registration day (ex officio; such a
decision used to be accepted and then lost behind that period), and earlier decisions dated later:
identity's history, its events as a replica reads them, and the PKP flag all say the same on every day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from identity.main import create_app
from kit.clock import JAKARTA
from kit.testing.events import outbox_envelopes, random_npwp
from kit.testing.service import api_client
from services.identity.tests.factories import officer_headers, random_npwp15, service_headers, taxpayer_headers


def status_on(changes: list[tuple[date, Any, bool]], day: date) -> bool | None:
    """How every replica reads PKP changes: by effective date, then by their order on that date (identity's
    `recorded_at`, the events' `sequence`); the status on a day is the last change on or before it."""
    status = None
    for effective, _, is_pkp in sorted(changes, key=lambda c: (c[0], c[1])):
        if effective <= day:
            status = is_pkp
    return status


async def written(sessions, npwp: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Everything a decision could write about the taxpayer."""
    async with sessions() as s:
        row = (await s.execute(text("SELECT id, is_pkp, version FROM taxpayer WHERE npwp = :n"), {"n": npwp})).one()
        periods = (await s.execute(text("SELECT is_pkp, effective_date, source, recorded_at FROM pkp_status_period "
                                        "WHERE taxpayer_id = :t ORDER BY recorded_at, effective_date"),
                                   {"t": row.id})).all()
        outbox = (await s.execute(text("SELECT seq FROM outbox WHERE key = :n ORDER BY seq"), {"n": npwp})).all()
        audit = (await s.execute(text("SELECT count(*) FROM audit_event WHERE action = 'pkp_status_decided' "
                                      "AND acting_for = :n"), {"n": npwp})).scalar_one()
    return {"taxpayer": (row.is_pkp, row.version), "periods": [tuple(p) for p in periods],
            "outbox": [tuple(o) for o in outbox], "audit": audit}


async def pkp_events(sessions, npwp: str) -> list[tuple[date, int, bool, str]]:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return [(e.effective_date, env.sequence, e.is_pkp, e.source_of_change)  # type: ignore[attr-defined]
                for key, env, e in await outbox_envelopes(s, event_type="PKPStatusChanged") if key == npwp]


async def test_a_decision_dated_before_the_registration_day_takes_effect_as_dated(settings, sessions, flows) -> None:
    async with api_client(create_app(settings)) as http:
        npwp = (await flows.register(http, flows.foreigner()))["npwp"]
        own = taxpayer_headers(settings, npwp)
        [registration] = (await http.get(f"/v1/taxpayers/{npwp}/pkp-status", headers=own)).json()
        registered_on = date.fromisoformat(registration["effective_date"])
        assert (registration["is_pkp"], registration["source"]) == (False, "registration")
        since = registered_on - timedelta(days=40)  # ex officio, from when the obligation arose

        decided = await http.post(f"/internal/v1/taxpayers/{npwp}/pkp-status", headers=officer_headers(settings),
                                  json={"is_pkp": True, "effective_date": since.isoformat()})
        assert decided.status_code == 200, decided.text
        # The registration's own period is restated, then the decision (last).
        assert [(p["is_pkp"], p["effective_date"], p["source"]) for p in decided.json()] == [
            (False, registered_on.isoformat(), "registration"), (True, registered_on.isoformat(), "officer"),
            (True, since.isoformat(), "officer")]
        history = (await http.get(f"/v1/taxpayers/{npwp}/pkp-status", headers=own)).json()
        again = await http.post(f"/internal/v1/taxpayers/{npwp}/pkp-status", headers=officer_headers(settings),
                                json={"is_pkp": True, "effective_date": since.isoformat()})
        assert again.status_code == 200 and len(again.json()) == 3  # already so from that date on: nothing new
    changes = [(date.fromisoformat(p["effective_date"]), p["recorded_at"], p["is_pkp"]) for p in history]
    events = await pkp_events(sessions, npwp)
    assert events == [(registered_on, 1, False, "registration"), (registered_on, 2, True, "officer"),
                      (since, 2, True, "officer")]
    for day in (since - timedelta(days=1), since, registered_on - timedelta(days=1), registered_on,
                registered_on + timedelta(days=30)):
        expected = None if day < since else True  # PKP from its date on, the registration day included
        assert status_on(changes, day) is expected, day
        assert status_on([(d, seq, p) for d, seq, p, _ in events], day) is expected, day
    assert (await written(sessions, npwp))["taxpayer"] == (True, 2)


async def test_a_decision_after_the_registration_day_works_as_before(settings, sessions) -> None:
    npwp = random_npwp()
    async with api_client(create_app(settings)) as http:
        created = await http.post("/internal/v1/taxpayers", json={"npwp": npwp, "name": "CV Nanti"},
                                  headers=service_headers(settings, "registry:write"))
        assert created.status_code == 201, created.text
        own = taxpayer_headers(settings, npwp)
        [registration] = (await http.get(f"/v1/taxpayers/{npwp}/pkp-status", headers=own)).json()
        registered_on = date.fromisoformat(registration["effective_date"])
        # The registration's period is dated by the registration's day in Jakarta (as filing reads it), whatever
        # the hour: from 00:00 to 07:00 WIB the UTC date is the day before.
        registered_at = datetime.fromisoformat(created.json()["registered_at"])
        assert registered_on == registered_at.astimezone(JAKARTA).date(), (registered_at, registered_on)
        since = registered_on + timedelta(days=10)
        decided = await http.post(f"/internal/v1/taxpayers/{npwp}/pkp-status", headers=officer_headers(settings),
                                  json={"is_pkp": True, "effective_date": since.isoformat()})
        assert decided.status_code == 200, decided.text
        history = (await http.get(f"/v1/taxpayers/{npwp}/pkp-status", headers=own)).json()
    assert [(p["is_pkp"], p["effective_date"]) for p in history] == [
        (False, registered_on.isoformat()), (True, since.isoformat())]
    assert [(d, seq, p) for d, seq, p, _ in await pkp_events(sessions, npwp)] == [
        (registered_on, 1, False), (since, 2, True)]


async def test_the_latest_decision_wins_from_its_date_in_the_history_the_events_and_the_flag(settings,
                                                                                            sessions) -> None:
    """A legacy PKP (since April 2019) revoked from 2024, the revocation then moved back to 2023, then cancelled
    from June 2023: the last decision is dated before the 2024 one and must win over it."""
    npwp15 = random_npwp15()
    npwp = "0" + npwp15
    officer = officer_headers(settings)

    async def decide(is_pkp: bool, day: str) -> list[dict[str, Any]]:
        response = await http.post(f"/internal/v1/taxpayers/{npwp}/pkp-status", headers=officer,
                                   json={"is_pkp": is_pkp, "effective_date": day})
        assert response.status_code == 200, response.text
        periods: list[dict[str, Any]] = response.json()
        return periods

    async with api_client(create_app(settings)) as http:
        imported = await http.post("/internal/v1/legacy-imports", headers={**officer, "content-type": "text/csv"},
                                   content=f"npwp15,name,kind,is_pkp,pkp_since,email\n{npwp15},PT Bolak Balik,"
                                           "company,ya,2019-04-01,pajak@bolakbalik.id\n")
        assert imported.json()["created"] == 1, imported.text
        await decide(False, "2024-01-01")
        await decide(False, "2023-01-01")  # the same status from an earlier date: recorded (it used to be ignored)
        last = await decide(True, "2023-06-01")  # before the 2024 revocation: restates 2024-01-01 as PKP
        assert [(p["is_pkp"], p["effective_date"]) for p in last[-2:]] == [(True, "2024-01-01"), (True, "2023-06-01")]
        unchanged = await written(sessions, npwp)
        assert await decide(True, "2023-08-01") == last  # already PKP from then on: nothing to record
        assert await written(sessions, npwp) == {**unchanged, "audit": unchanged["audit"] + 1}
        history = (await http.get(f"/v1/taxpayers/{npwp}/pkp-status", headers=taxpayer_headers(settings, npwp))).json()

    periods = [(date.fromisoformat(p["effective_date"]), p["recorded_at"], p["is_pkp"]) for p in history]
    events = await pkp_events(sessions, npwp)
    assert [(d.isoformat(), seq, p) for d, seq, p, _ in events] == [
        ("2019-04-01", 1, True), ("2024-01-01", 2, False), ("2023-01-01", 3, False),
        ("2024-01-01", 4, True), ("2023-06-01", 4, True)]
    replica = [(d, seq, p) for d, seq, p, _ in events]
    expected = {date(2019, 3, 31): None, date(2019, 4, 1): True, date(2022, 12, 31): True, date(2023, 1, 1): False,
                date(2023, 5, 31): False, date(2023, 6, 1): True, date(2023, 12, 31): True, date(2024, 1, 1): True,
                date.today() + timedelta(days=365): True}
    assert {day: status_on(periods, day) for day in expected} == expected
    assert {day: status_on(replica, day) for day in expected} == expected
    assert (await written(sessions, npwp))["taxpayer"] == (True, 4)
