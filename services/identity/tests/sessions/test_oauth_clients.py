"""Standard OAuth2 clients work unchanged (issue 15 item 9): authlib, as a PJAP integrator would use it, against
identity over real HTTP. It discovers the token endpoint (RFC 8414), runs every grant (password, refresh with
rotation, client credentials, RFC 8693 token exchange) and sees every token error as an OAuthError with the
RFC 6749 §5.2 `error`, while the body keeps its problem+json members."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from sqlalchemy import select

from identity.models import PJAPClient, PJAPDelegation, Taxpayer
from services.identity.tests.factories import claims, make_account, make_person, make_pkp_company
from services.identity.tests.served import module_settings, served

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
PASSWORD = "Rahasia#2026x"
HASHER = PasswordHasher(time_cost=1, memory_cost=1024)  # the hash carries its parameters: any verify accepts it
PROBLEM = {"type", "title", "status", "code", "detail"}


@pytest.fixture(scope="module")
def base(infra: Any) -> Iterator[str]:
    with served(module_settings(infra)) as url:
        yield url


class Seen:
    """What the token endpoint answered, through authlib's own compliance hooks."""

    def __init__(self, client: AsyncOAuth2Client) -> None:
        self.responses: list[httpx.Response] = []
        for hook in ("access_token_response", "refresh_token_response"):
            client.register_compliance_hook(hook, self._keep)

    def _keep(self, response: httpx.Response) -> httpx.Response:
        self.responses.append(response)
        return response

    @property
    def last(self) -> httpx.Response:
        return self.responses[-1]


async def discover(base: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        metadata = (await http.get(f"{base}/.well-known/oauth-authorization-server")).json()
    assert {"password", "refresh_token", "client_credentials", TOKEN_EXCHANGE} <= set(metadata["grant_types_supported"])
    assert {"client_secret_basic", "client_secret_post"} <= set(metadata["token_endpoint_auth_methods_supported"])
    return metadata


async def a_person_with_a_company(sessions: Any) -> tuple[str, str]:
    """(the person's login, the NPWP of the company they are the PIC of)."""
    async with sessions() as s, s.begin():
        person = await make_person(s)
        await make_account(s, person, password_hash=HASHER.hash(PASSWORD))
        company = await make_pkp_company(s, pic=person)
        return person.identity_number, company.npwp


async def a_client(sessions: Any, *scopes: str, delegated_by: str | None = None) -> tuple[str, str]:
    secret = secrets.token_urlsafe(24)
    client_id = f"pjap-{uuid.uuid4().hex[:12]}"
    async with sessions() as s, s.begin():
        s.add(PJAPClient(client_id=client_id, secret_hash=HASHER.hash(secret), name="PJAP authlib",
                         scopes=" ".join(scopes), kind="pjap", rate_limit_per_minute=600))
        if delegated_by:
            taxpayer_id = (await s.execute(select(Taxpayer.id).where(Taxpayer.npwp == delegated_by))).scalar_one()
            s.add(PJAPDelegation(taxpayer_id=taxpayer_id, client_id=client_id, scopes=" ".join(scopes),
                                 granted_by=uuid.uuid4()))
    return client_id, secret


def assert_oauth_error(seen: Seen, error: str, code: str, status: int = 400) -> dict[str, Any]:
    response = seen.last
    body = response.json()
    assert (response.status_code, body["error"], body["code"]) == (status, error, code), body
    assert body.keys() >= PROBLEM and body["error_description"] and body["status"] == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["cache-control"] == "no-store" and response.headers["pragma"] == "no-cache"
    return body


async def test_metadata_and_the_password_and_refresh_grants_through_authlib(base, sessions) -> None:
    login, _ = await a_person_with_a_company(sessions)
    metadata = await discover(base)
    token_url = metadata["token_endpoint"]
    async with AsyncOAuth2Client(token_endpoint=token_url) as client:  # a public client: no client secret
        seen = Seen(client)
        token = await client.fetch_token(token_url, grant_type="password", username=login, password=PASSWORD)
        assert token["token_type"] == "Bearer" and token["expires_in"] > 0 and token["refresh_token"]
        assert seen.last.headers["cache-control"] == "no-store" and seen.last.headers["pragma"] == "no-cache"
        async with httpx.AsyncClient() as http:  # the token verifies with the advertised JWKS
            jwks = (await http.get(metadata["jwks_uri"])).json()
        key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token["access_token"])["kid"]]
        verified = jwt.decode(token["access_token"], key, algorithms=["EdDSA"], audience="lontar")
        assert verified["iss"] == metadata["issuer"]

        me = await client.get(f"{base}/v1/me")  # authlib puts the token on requests itself
        assert me.status_code == 200, me.text

        first_refresh = token["refresh_token"]
        rotated = await client.refresh_token(token_url, refresh_token=first_refresh)
        assert rotated["refresh_token"] != first_refresh and rotated["access_token"] != token["access_token"]
        assert seen.last.headers["cache-control"] == "no-store"

        with pytest.raises(OAuthError) as reused:  # reuse of a rotated refresh token revokes the family
            await client.refresh_token(token_url, refresh_token=first_refresh)
        assert reused.value.error == "invalid_grant"
        assert_oauth_error(seen, "invalid_grant", "oauth.invalid_grant")
        with pytest.raises(OAuthError) as family:
            await client.refresh_token(token_url, refresh_token=rotated["refresh_token"])
        assert family.value.error == "invalid_grant"
        with pytest.raises(OAuthError) as bogus:
            await client.refresh_token(token_url, refresh_token="not-a-refresh-token")
        assert bogus.value.error == "invalid_grant"


async def test_client_credentials_and_token_exchange_through_authlib(base, sessions) -> None:
    login, company = await a_person_with_a_company(sessions)
    token_url = (await discover(base))["token_endpoint"]
    client_id, secret = await a_client(sessions, "invoice:read", "invoice:draft", delegated_by=company)

    for method in ("client_secret_basic", "client_secret_post"):
        async with AsyncOAuth2Client(client_id, secret, token_endpoint_auth_method=method) as client:
            own = await client.fetch_token(token_url, grant_type="client_credentials")
            assert claims(own["access_token"])["sub"] == client_id and own["scope"] == "invoice:draft invoice:read"
    async with AsyncOAuth2Client(client_id, secret, scope="invoice:read") as client:  # a narrower token
        narrow = await client.fetch_token(token_url, grant_type="client_credentials",
                                          resource=f"urn:lontar:taxpayer:{company}")
        acting = claims(narrow["access_token"])
        assert (acting["sub"], acting["scope"], acting["act"]["sub"]) == (company, "invoice:read", client_id)

    async with AsyncOAuth2Client() as person:
        own = await person.fetch_token(token_url, grant_type="password", username=login, password=PASSWORD)
        exchanged = await person.fetch_token(token_url, grant_type=TOKEN_EXCHANGE,
                                             subject_token=own["access_token"], subject_token_type=ACCESS_TOKEN,
                                             resource=f"urn:lontar:taxpayer:{company}", scope="invoice:read")
        assert exchanged["issued_token_type"] == ACCESS_TOKEN and "refresh_token" not in exchanged
        acting = claims(exchanged["access_token"])
        assert acting["sub"] == company and acting["scope"] == "invoice:read" and acting["roles"] == {company: ["pic"]}


async def test_every_token_error_is_an_oauth_error_with_its_problem_members(base, sessions) -> None:
    login, company = await a_person_with_a_company(sessions)
    token_url = (await discover(base))["token_endpoint"]
    client_id, secret = await a_client(sessions, "invoice:read")
    stranger = "0" * 15 + "1"

    async def refused(client: AsyncOAuth2Client, **params: Any) -> str:
        with pytest.raises(OAuthError) as raised:
            await client.fetch_token(token_url, **params)
        return str(raised.value.error)

    async with AsyncOAuth2Client() as public:
        seen = Seen(public)
        assert await refused(public, grant_type="password", username=login, password="Wrong-pass1") == "invalid_grant"
        assert_oauth_error(seen, "invalid_grant", "oauth.invalid_grant")
        unknown = await refused(public, grant_type="password", username="0019999999999999", password="Wrong-pass1")
        assert unknown == "invalid_grant"
        assert await refused(public, grant_type="authorization_code", code="x") == "unsupported_grant_type"
        assert_oauth_error(seen, "unsupported_grant_type", "oauth.unsupported_grant_type")
        assert await refused(public, grant_type="password", username=login) == "invalid_request"
        assert_oauth_error(seen, "invalid_request", "oauth.invalid_request")
        assert await refused(public, grant_type="") == "invalid_request"  # schema validation: 400, not 422
        assert_oauth_error(seen, "invalid_request", "request.invalid")

        own = (await public.fetch_token(token_url, grant_type="password", username=login, password=PASSWORD))
        exchange = {"grant_type": TOKEN_EXCHANGE, "subject_token": own["access_token"],
                    "subject_token_type": ACCESS_TOKEN}
        assert await refused(public, **exchange, resource=f"urn:lontar:taxpayer:{stranger}") == "invalid_target"
        assert_oauth_error(seen, "invalid_target", "auth.not_a_representative", 403)
        assert await refused(public, **exchange, resource="urn:lontar:taxpayer:123") == "invalid_grant"
        assert await refused(public, **exchange, resource=f"urn:lontar:taxpayer:{company}",
                             scope="identity:officer") == "invalid_scope"
        assert_oauth_error(seen, "invalid_scope", "oauth.invalid_scope")
        assert await refused(public, **{**exchange, "subject_token": "not.a.jwt"},
                             resource=f"urn:lontar:taxpayer:{company}") == "invalid_request"
        assert_oauth_error(seen, "invalid_request", "auth.invalid_token")
        assert "www-authenticate" not in seen.last.headers  # not a resource's Bearer challenge
        assert await refused(public, grant_type="client_credentials") == "invalid_client"
        assert_oauth_error(seen, "invalid_client", "oauth.invalid_client", 401)

    async with AsyncOAuth2Client("pjap-nobody", "no-secret") as unknown_client:  # Basic: 401 with a Basic challenge
        seen = Seen(unknown_client)
        assert await refused(unknown_client, grant_type="client_credentials") == "invalid_client"
        assert_oauth_error(seen, "invalid_client", "oauth.invalid_client", 401)
        assert seen.last.headers["www-authenticate"].startswith("Basic realm=")
    async with AsyncOAuth2Client(client_id, "wrong-secret", token_endpoint_auth_method="client_secret_post") as wrong:
        assert await refused(wrong, grant_type="client_credentials") == "invalid_client"
    async with AsyncOAuth2Client(client_id, secret) as client:
        seen = Seen(client)
        assert await refused(client, grant_type="client_credentials", scope="invoice:sign") == "invalid_scope"
        undelegated = await refused(client, grant_type="client_credentials",
                                    resource=f"urn:lontar:taxpayer:{company}")
        assert undelegated == "unauthorized_client"
        assert_oauth_error(seen, "unauthorized_client", "auth.not_a_representative", 403)

    async with httpx.AsyncClient() as http:  # malformed Basic credentials are invalid_client too
        garbled = await http.post(token_url, data={"grant_type": "client_credentials"},
                                  headers={"authorization": "Basic " + base64.b64encode(b"no-colon").decode()})
        assert (garbled.status_code, garbled.json()["error"]) == (401, "invalid_client")


async def test_protected_resources_answer_with_a_bearer_challenge(base) -> None:
    async with AsyncOAuth2Client(token={"access_token": "not.a.jwt", "token_type": "Bearer"}) as client:
        rejected = await client.get(f"{base}/v1/me")
    assert rejected.status_code == 401 and rejected.json()["code"] == "auth.invalid_token"
    challenge = rejected.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge and "realm=" in challenge
    async with httpx.AsyncClient() as http:
        anonymous = await http.get(f"{base}/v1/me")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == 'Bearer realm="lontar"'
