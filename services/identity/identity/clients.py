"""`python -m identity.clients create --kind officer --name "Officer console" --scope identity:officer`

Bootstraps machine clients from the command line (the first officer console, internal services such as invoice
calling the signing endpoint). Prints the client id and the secret once, as JSON; the secret is stored hashed.

Kinds: `internal` is one of Lontar's own services (or an operator's tool): its token is the service token every
`/internal` route takes, with that route's scope (kit.access), e.g. `--kind internal --name invoice --scope
identity:sign`; `officer` an officer console; `pjap` a PJAP integrator (held to `--rate-limit`, kit.ratelimit);
`bank` a collecting bank.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from identity.passwords import Passwords
from identity.pjap.service import register_client
from identity.settings import get_settings
from kit.db import UnitOfWork, create_engine, create_sessionmaker


async def _create(args: argparse.Namespace) -> dict[str, object]:
    settings = get_settings()
    engine = create_engine(settings.database, application_name="identity.clients")
    try:
        client, secret = await register_client(
            UnitOfWork(create_sessionmaker(engine)), Passwords(settings.login), None, name=args.name,
            scopes=args.scope, kind=args.kind, rate_limit_per_minute=args.rate_limit, ip="cli")
    finally:
        await engine.dispose()
    return {"client_id": client.client_id, "client_secret": secret, "kind": client.kind, "scopes": client.scopes}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m identity.clients")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="register a machine client and print its secret once")
    create.add_argument("--name", required=True)
    create.add_argument("--kind", choices=["officer", "internal", "pjap", "bank", "ppat", "land_office"], required=True)
    create.add_argument("--scope", action="append", required=True, help="repeat for several scopes")
    create.add_argument("--rate-limit", type=int, default=600, help="requests per minute")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_create(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
