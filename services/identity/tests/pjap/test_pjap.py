"""PJAP delegation with `act` and per-client rate limits."""

from __future__ import annotations

from identity.main import create_app
from kit.testing.service import api_client
from services.identity.tests.factories import bearer, claims, officer_headers


async def test_pjap_acts_only_with_a_delegation_and_within_its_rate(settings, flows) -> None:
    async with api_client(create_app(settings)) as http:
        client = (await http.post("/internal/v1/clients", headers=officer_headers(settings), json={
            "name": "PJAP Contoh", "scopes": ["invoice:read", "invoice:draft"], "rate_limit_per_minute": 3})).json()
        person = flows.foreigner()
        npwp = (await flows.register(http, person))["npwp"]
        own = (await flows.login(http, npwp, person["password"])).json()["access_token"]

        def grant(resource: str | None = None) -> dict[str, str]:
            data = {"grant_type": "client_credentials", "client_id": client["client_id"],
                    "client_secret": client["client_secret"]}
            return {**data, "resource": resource} if resource else data

        plain = await http.post("/v1/oauth/token", data=grant())
        assert claims(plain.json()["access_token"])["sub"] == client["client_id"]
        undelegated = await http.post("/v1/oauth/token", data=grant(f"urn:lontar:taxpayer:{npwp}"))
        assert undelegated.status_code == 403

        delegated = await http.post(f"/v1/taxpayers/{npwp}/pjap-delegations", headers=bearer(own),
                                    json={"client_id": client["client_id"], "scopes": ["invoice:read", "filing:submit"]})
        assert delegated.status_code == 201 and delegated.json()["scopes"] == "invoice:read"
        acting = claims((await http.post("/v1/oauth/token", data=grant(f"urn:lontar:taxpayer:{npwp}"))
                         ).json()["access_token"])
        assert acting["sub"] == npwp and acting["act"]["sub"] == client["client_id"]
        assert acting["scope"] == "invoice:read" and acting["tid"] == [npwp]

        limited = await http.post("/v1/oauth/token", data=grant())
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1

        wrong_secret = await http.post("/v1/oauth/token", data={**grant(), "client_secret": "nope"})
        assert wrong_secret.json()["code"] in ("oauth.invalid_client", "rate_limited")
        revoked = await http.delete(f"/v1/taxpayers/{npwp}/pjap-delegations/{client['client_id']}",
                                    headers=bearer(own))
        assert revoked.status_code == 204
