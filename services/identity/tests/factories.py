"""One way to make what identity tests need: a person, their account, a taxpayer (through the service's own
`create_taxpayer`, so rows and events are what production writes), a PKP company with its PIC and signer, and
tokens to act as them. Builders add and flush in the session they are given; the caller commits.

    from services.identity.tests.factories import make_account, make_person
"""

from __future__ import annotations

import random
import secrets
import uuid
from datetime import date
from typing import Any

import httpx
import jwt
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import Account, Person, RoleGrant, Taxpayer
from identity.settings import IdentitySettings
from identity.taxpayers.service import NewTaxpayer, create_taxpayer
from identity.tokens import TokenIssuer
from kit.identifiers import luhn_ok
from kit.testing.events import random_npwp
from kit.testing.tokens import TokenMaker


def digits(n: int) -> str:
    return "".join(random.choice("0123456789") for _ in range(n))


def random_npwp15() -> str:
    """A valid, random NPWP15 (Luhn check digit) as the legacy system wrote them."""
    body = "02" + f"{secrets.randbelow(10**6):06d}"
    return body + next(d for d in "0123456789" if luhn_ok(body + d)) + "017000"


async def save(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)
    await session.flush()


async def make_person(session: AsyncSession, full_name: str | None = None, *, passport_country: str | None = None,
                      **overrides: Any) -> Person:
    """A resident with a random NIK, or with `passport_country` a foreigner with a passport and an identity
    number."""
    nik = None if passport_country else "32" + digits(14)
    person = Person(kind="foreigner" if passport_country else "resident",
                    full_name=full_name or f"Warga {uuid.uuid4().hex[:8]}", nik=nik,
                    passport_number=f"E{digits(8)}" if passport_country else None, passport_country=passport_country,
                    identity_number=nik or "9" + digits(15))
    for name, value in overrides.items():
        setattr(person, name, value)
    await save(session, person)
    return person


async def make_account(session: AsyncSession, person: Person, **overrides: Any) -> Account:
    account = Account(person_id=person.id, email=f"{uuid.uuid4().hex[:10]}@contoh.id", phone="08" + digits(10),
                      **{"status": "active", **overrides})
    await save(session, account)
    return account


async def make_taxpayer(session: AsyncSession, *, npwp: str | None = None, name: str | None = None,
                        kind: str = "company", source: str = "registration", **fields: Any) -> Taxpayer:
    """Through `create_taxpayer`, the one way: the row, its first PKP period and its two events."""
    return await create_taxpayer(session, NewTaxpayer(npwp=npwp or random_npwp(), kind=kind,
                                                      name=name or f"PT Contoh {uuid.uuid4().hex[:6]}", **fields),
                                 source=source)


async def make_pkp_company(session: AsyncSession, *, pic: Person, signer: Person | None = None,
                           pkp_since: date = date(2020, 1, 1), **fields: Any) -> Taxpayer:
    """A PKP company (PKP from `pkp_since`) whose PIC is `pic`, with `signer` holding the signer role."""
    company = await make_taxpayer(session, kind="company", is_pkp=True, pkp_since=pkp_since, **fields)
    grants = [RoleGrant(taxpayer_id=company.id, person_id=pic.id, role="pic")]
    if signer is not None:
        grants.append(RoleGrant(taxpayer_id=company.id, person_id=signer.id, role="signer", granted_by=pic.id))
    await save(session, *grants)
    return company


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def claims(token: str) -> dict[str, Any]:
    """A token's claims, unverified (the tests read what identity put in)."""
    return dict(jwt.decode(token, options={"verify_signature": False}))


def officer_headers(settings: IdentitySettings) -> dict[str, str]:
    """An officer console's token (`identity:officer`)."""
    return bearer(TokenIssuer(settings).issue(subject="officer-1", scopes=["identity:officer"],
                                              extra={"client_kind": "officer", "client_id": "officer-1"})[0])


def service_headers(settings: IdentitySettings, *scopes: str, client_id: str = "test-service") -> dict[str, str]:
    """An internal service's client-credentials token (kit.access), e.g. `registry:write` for /internal/v1/taxpayers."""
    assert settings.tokens.signing_key is not None
    return TokenMaker.from_pem(settings.tokens.signing_key.get_secret_value(), settings.auth).service_headers(
        *scopes, client_id=client_id)


def person_headers(settings: IdentitySettings, account: Account, *scopes: str) -> dict[str, str]:
    """A person's own token, as the password grant issues it (without their own taxpayer)."""
    return bearer(TokenIssuer(settings).issue(subject=str(account.id), scopes=list(scopes or ("profile",)))[0])


def taxpayer_headers(settings: IdentitySettings, npwp: str, *scopes: str) -> dict[str, str]:
    """A token acting for the taxpayer `npwp` with `scopes` (default: read it)."""
    return bearer(TokenIssuer(settings).issue(subject=npwp, scopes=list(scopes or ("taxpayer:read",)),
                                              taxpayer_ids=[npwp])[0])


def http_from(app: FastAPI, ip: str) -> httpx.AsyncClient:
    """A client of `app` whose TCP peer address is `ip` (the app's lifespan runs elsewhere, e.g. in `api_client`)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://test")
