"""`python -m devstack run | reset`: what `make run` and `make reset` call. `python -m devstack token --scope
registry:read` prints a service token the local stack accepts (every `/internal` route takes one), minted with the
stack's development signing key, for trying the internal routes by hand (`--kind officer` for officers' routes).
`python -m devstack token --client ppat` (or `land_office`) instead asks the running stack's identity for a token of
the notary's (or land office's) client that `make run` registered (`devstack.clients`), by client credentials."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path

import httpx

from devstack.clients import PARTNER_CLIENTS, PARTNER_CLIENTS_FILE, partner_client
from devstack.config import SERVICES, StackConfig
from devstack.secrets import dev_secrets
from devstack.stack import Stack, StackError
from kit.testing.tokens import TokenMaker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    parser.add_argument("command", choices=["run", "reset", "token"])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="checkout root (data goes to ROOT/.data)")
    parser.add_argument("--quiet", action="store_true", help="do not follow the services' logs")
    parser.add_argument("--scope", action="append", default=[], help="token: a scope (repeat for several)")
    parser.add_argument("--ttl", type=int, default=3600, help="token: seconds it lives")
    parser.add_argument("--kind", choices=["internal", "officer", "land_office"], default="internal",
                        help="token: the client kind (officer: an officer console, for officers' routes; land_office: a land office)")
    parser.add_argument("--client", choices=sorted(PARTNER_CLIENTS),
                        help="token: a token identity issues to the partner client make run registered (ppat: a "
                             "notary, land_office: a land office); needs the stack running")
    args = parser.parse_args(argv)
    stack = Stack(StackConfig.from_env(args.root))
    try:
        if args.command == "token" and args.client:
            print(partner_token(stack, args.client, args.scope))
            return 0
        if args.command == "token":
            key = dev_secrets(stack.config.data_dir)["IDENTITY_TOKENS__SIGNING_KEY"]
            client = f"devstack-{args.kind}"
            print(TokenMaker.from_pem(key).make(subject=client, scopes=args.scope, expires_in=args.ttl,
                                                client_id=client, client_kind=args.kind))
            return 0
        if args.command == "reset":
            stack.reset()
            print(f"wiped {stack.config.data_dir}")
            return 0
        return run(stack, follow=not args.quiet)
    except StackError as exc:
        print(f"lontar: {exc}", file=sys.stderr)
        return 1


def partner_token(stack: Stack, kind: str, scopes: list[str]) -> str:
    """An access token of the partner client of `kind` (client credentials at the running stack's identity)."""
    client = partner_client(stack.config.data_dir, kind)
    if client is None:
        raise StackError(f"no {kind} client in {stack.config.data_dir / PARTNER_CLIENTS_FILE}: start the stack once "
                         "(make run), which registers it")
    url = f"{stack.config.api_url('identity')}/v1/oauth/token"
    form = {"grant_type": "client_credentials", **client} | ({"scope": " ".join(scopes)} if scopes else {})
    try:
        response = httpx.post(url, data=form, timeout=10)
    except httpx.HTTPError as exc:
        raise StackError(f"identity does not answer at {url} ({exc!r}): is the stack running (make run)?") from None
    if response.status_code != 200:
        raise StackError(f"identity refused the {kind} client ({response.status_code}: {response.text[:300]}); if "
                         f"identity's database was reset, delete {PARTNER_CLIENTS_FILE} in the data folder and start "
                         "the stack again")
    return str(json.loads(response.text)["access_token"])


def run(stack: Stack, *, follow: bool) -> int:
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()
        raise KeyboardInterrupt  # interrupts start-up too; handled below

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    print(f"lontar: starting (data in {stack.config.data_dir}) ...", flush=True)
    started = time.monotonic()
    try:
        stack.start()  # on failure it stops what it started and raises
    except KeyboardInterrupt:
        print("lontar: start-up interrupted; stopped", flush=True)
        return 130
    print(_summary(stack, time.monotonic() - started), flush=True)
    try:
        follower = _LogFollower(stack.logs_dir) if follow else None
        while not stopping.is_set():
            if follower:
                follower.poll()
            for name in stack.supervise_once():
                print(f"lontar: {name} exited unexpectedly; restarted (log: {stack.logs_dir / name}.log)", flush=True)
            time.sleep(0.25)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not abort the orderly stop
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("\nlontar: stopping ...", flush=True)
        stack.stop()
        print("lontar: stopped", flush=True)
    return 0


def _summary(stack: Stack, seconds: float) -> str:
    c = stack.config
    rows = [f"lontar: ready in {seconds:.1f}s", ""]
    rows.append(f"  {'service':<14}{'API':<28}{'docs':<34}worker (health, metrics)")
    for s in SERVICES:
        rows.append(f"  {s:<14}{c.api_url(s):<28}{c.api_url(s) + '/docs':<34}{c.worker_url(s)}")
    rows += [
        "",
        f"  PostgreSQL    {stack.server_url.replace('+asyncpg', '')}" + ("" if c.database_url else " (embedded)"),
        f"  Kafka         {stack.bootstrap}" + ("" if c.kafka_bootstrap else " (embedded Tansu broker, memory)"),
        f"  sandboxes     {c.sandbox_url}/messages?to=<e-mail or phone> (SMTP {c.host}:{c.sandbox_smtp_port}, "
        f"SMS {c.sandbox_url}/sms/<provider>, controls PUT {c.sandbox_url}/providers/<name>/mode)",
        f"  bank sandbox  POST {c.sandbox_url}/bank/pay {{\"billing_code\": \"...\"}} (pays at payment as a "
        "collecting bank; GET /bank/payments)",
        "  /internal     takes a service token: -H \"authorization: Bearer $(python -m devstack token --scope "
        "registry:read)\"",
        "  partners      a notary (PPAT) and a land office, registered at identity: -H \"authorization: Bearer "
        "$(python -m devstack token --client ppat)\" (or --client land_office)",
        f"  logs          {stack.logs_dir}",
        "",
        "  Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(rows)


class _LogFollower:
    """Prints new lines of every log file, prefixed with its process name."""

    def __init__(self, logs_dir: Path) -> None:
        self.logs_dir = logs_dir
        self.offsets = {p: p.stat().st_size for p in logs_dir.glob("*.log")}

    def poll(self) -> None:
        for path in sorted(self.logs_dir.glob("*.log")):
            offset = self.offsets.get(path, 0)
            size = path.stat().st_size
            if size < offset:
                offset = 0
            if size == offset:
                continue
            with path.open("rb") as f:
                f.seek(offset)
                chunk = f.read(size - offset)
            complete, _, _ = chunk.rpartition(b"\n")
            if not complete:
                continue
            self.offsets[path] = offset + len(complete) + 1
            name = path.stem
            for line in complete.decode(errors="replace").splitlines():
                print(f"{name:<22}| {line}", flush=True)
