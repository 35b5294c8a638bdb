"""A local stand-in for the face/liveness provider, speaking the protocol identity's adapter
(`identity.credentials.liveness`) expects.

The decision follows the capture reference the front end submits:
- `reject...`    -> no_match, reason face_mismatch ("Data biometrik tidak sesuai")
- `noface...`    -> no_match, reason no_face_detected ("Wajah tidak terdeteksi")
- `other...`     -> match, but for a different subject (a mixed-up answer; the adapter must refuse it)
- `unknown...`   -> 404 (capture session unknown or expired)
- `error...`     -> 500
- `slow...`      -> answers after 2 s (timeouts)
- anything else  -> match for the subject asked about.
`GET /sandbox/checks` lists what was asked (tests assert which subject was checked).

Run it: `python -m sandbox.liveness --port 8011` (the stack does, on `LONTAR_LIVENESS_PORT`); in tests,
`running_sandbox()`.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel


class Subject(BaseModel):
    type: str
    number: str
    country: str


class FaceCheckRequest(BaseModel):
    reference: str
    subject: Subject


def create_sandbox_app(api_key: str | None = "dev-only-liveness-key") -> FastAPI:
    app = FastAPI(title="Liveness sandbox")
    checks: list[dict[str, Any]] = []

    @app.get("/readyz", include_in_schema=False)
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/v1/face-checks")
    async def face_check(body: FaceCheckRequest, x_api_key: str | None = Header(None)) -> dict[str, Any]:
        if api_key is not None and x_api_key != api_key:
            raise HTTPException(401, "bad api key")
        checks.append(body.model_dump())
        ref = body.reference.lower()
        check_id = uuid.uuid4().hex
        subject = body.subject.model_dump()
        if ref.startswith("unknown"):
            raise HTTPException(404, "unknown capture session")
        if ref.startswith("error"):
            raise HTTPException(500, "provider error")
        if ref.startswith("slow"):
            await asyncio.sleep(2.0)
        if ref.startswith("reject"):
            return {"check_id": check_id, "decision": "no_match", "reason": "face_mismatch", "subject": subject}
        if ref.startswith("noface"):
            return {"check_id": check_id, "decision": "no_match", "reason": "no_face_detected", "subject": subject}
        if ref.startswith("other"):
            other = dict(subject, number="".join(reversed(subject["number"])) + "9")
            return {"check_id": check_id, "decision": "match", "reason": None, "subject": other}
        return {"check_id": check_id, "decision": "match", "reason": None, "subject": subject}

    @app.get("/sandbox/checks")
    async def list_checks() -> list[dict[str, Any]]:
        return checks

    return app


@contextmanager
def running_sandbox(host: str = "127.0.0.1", port: int | None = None,
                    api_key: str | None = "dev-only-liveness-key") -> Iterator[str]:
    """The sandbox served by uvicorn on a free port in a background thread; yields its base URL."""
    import socket

    import uvicorn

    if port is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(create_sandbox_app(api_key), host=host, port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, name="liveness-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the liveness sandbox did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--api-key", default="dev-only-liveness-key")
    args = parser.parse_args()
    uvicorn.run(create_sandbox_app(args.api_key), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
