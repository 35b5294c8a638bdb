"""Debts for the instalment, deposit and interest tests, recorded the way filing's STPIssued records them (the
consumer step, in one transaction) without a round trip through the broker: these tests are about what follows."""

from __future__ import annotations

from typing import Any

from contracts.envelope import Envelope
from kit.testing.events import envelope_for
from payment.debts.service import record_from_stp
from services.payment.tests.conftest import World
from services.payment.tests.factories import officer_token, stp_issued, taxpayer_token


async def record_stp(world: World, npwp: str, **changes: Any) -> dict[str, Any]:
    """An STP's debt for `npwp`, as the taxpayer reads it."""
    stp = stp_issued(npwp, **changes)
    async with world.sessions() as session, session.begin():
        await record_from_stp(session, Envelope.model_validate(envelope_for(stp, key=npwp)), stp)
    debt_id = await world.scalar("SELECT id FROM debt WHERE source_reference = :r", r=stp.stp_id)
    return await read_debt(world, npwp, str(debt_id))


async def read_debt(world: World, npwp: str, debt_id: str) -> dict[str, Any]:
    response = await world.http.get(f"/v1/debts/{debt_id}", headers=taxpayer_token(npwp, scopes=("payment:read",)))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def officer() -> dict[str, str]:
    return officer_token()
