"""kit.app as every service runs it, on the real database: an unhandled error is a problem+json 500 carrying the
correlation id that its log line carries too (issue 12 item 5); the body limit counts bytes as they are read (item 6),
by default and per route."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text

from kit.app import body_limit, create_service_app
from kit.dependencies import Uow
from kit.errors import AppError
from kit.testing.hostile import JSON, MiB, peak_memory, streamed
from kit.testing.service import api_client

router = APIRouter()


class Thing(BaseModel):
    name: str


@router.post("/boom")
async def boom(thing: Thing) -> dict[str, str]:
    raise RuntimeError(f"internal detail of {thing.name}")


@router.post("/things")
async def things(thing: Thing) -> dict[str, str]:
    return {"name": thing.name}


@router.post("/raw")
async def raw(request: Request) -> dict[str, int]:
    return {"size": len(await request.body())}


@router.post("/slow")
async def slow(uow: Uow) -> dict[str, int]:
    async with uow:
        return {"slept": int((await uow.session.execute(text("SELECT 1 FROM pg_sleep(1.5)"))).scalar_one())}


class FileTooLarge(AppError):
    code, status, title = "file.too_large", 413, "The file is larger than files may be"


@router.post("/files")
@body_limit(lambda settings: 3 * settings.http.max_body_bytes, error=FileTooLarge)
async def files(request: Request) -> dict[str, int]:
    return {"size": len(await request.body())}


@router.post("/small")
@body_limit(20)
async def small(thing: Thing) -> dict[str, str]:
    return {"name": thing.name}


def _app(settings: Any) -> Any:
    return create_service_app(settings, routers=[router])


async def test_an_unhandled_error_is_problem_json_with_the_correlation_id_of_its_log_line(
        settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    app = _app(settings)
    logging.getLogger().addHandler(caplog.handler)  # the app factory replaced the root handlers
    async with api_client(app) as http:
        r = await http.post("/boom", json={"name": "x"}, headers={"x-correlation-id": "req-42"})
        generated = await http.post("/boom", json={"name": "y"})
    logging.getLogger().removeHandler(caplog.handler)

    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "internal" and body["correlation_id"] == "req-42" == r.headers["x-correlation-id"]
    assert "internal detail" not in r.text
    cid = generated.json()["correlation_id"]
    assert cid and generated.headers["x-correlation-id"] == cid
    logged = {getattr(rec, "correlation_id", None): rec for rec in caplog.records if rec.levelno >= logging.ERROR}
    assert {"req-42", cid} <= set(logged)
    assert logged["req-42"].exc_info and "internal detail of x" in str(logged["req-42"].exc_info[1])


async def test_a_database_pool_exhausted_by_a_surge_answers_503_with_retry_after_not_500(settings: Any) -> None:
    database = settings.database.model_copy(update={"pool_size": 1, "max_overflow": 0, "connect_timeout_s": 0.2})
    async with api_client(_app(settings.model_copy(update={"database": database}))) as http:
        answers = await asyncio.gather(*(http.post("/slow") for _ in range(3)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses[0] == 200 and statuses[-1] == 503, statuses
    for r in answers:
        if r.status_code == 503:
            assert r.json()["code"] == "service.unavailable" and r.headers["retry-after"] == "1"
            assert r.headers["content-type"] == "application/problem+json"


async def test_a_correlation_id_that_is_not_an_id_is_replaced(settings: Any) -> None:
    async with api_client(_app(settings)) as http:
        r = await http.post("/things", json={"name": "x"}, headers={"x-correlation-id": "a b<script>" + "x" * 300})
    cid = r.headers["x-correlation-id"]
    assert r.status_code == 200 and " " not in cid and len(cid) <= 100


async def test_bodies_over_the_limit_are_413_while_streaming_and_by_content_length(settings: Any) -> None:
    async with api_client(_app(settings)) as http:
        for headers in ({}, {"content-length": str(50 * MiB)}):
            with peak_memory() as peak:
                r = await http.post("/things", content=streamed(50 * MiB), headers={**JSON, **headers})
            assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
            assert r.json()["code"] == "request.too_large" and r.json()["correlation_id"]
            assert peak.bytes < 4 * MiB, f"{peak.bytes / MiB:.1f} MiB"
        ok = await http.post("/raw", content=b"x" * (MiB - 1))
        assert ok.json() == {"size": MiB - 1}
        over = await http.post("/raw", content=streamed(MiB + 1))
        assert over.status_code == 413


async def test_a_route_may_have_its_own_limit_larger_or_smaller_with_its_own_code(settings: Any) -> None:
    async with api_client(_app(settings)) as http:
        ok = await http.post("/files", content=streamed(3 * MiB))
        assert ok.json() == {"size": 3 * MiB}
        for headers in ({}, {"content-length": str(3 * MiB + 1)}):
            r = await http.post("/files", content=streamed(3 * MiB + 1), headers=headers)
            assert r.status_code == 413 and r.json()["code"] == "file.too_large"
        small = await http.post("/small", json={"name": "a long name"})
        assert small.status_code == 413 and small.json()["code"] == "request.too_large"
        assert (await http.post("/small", json={"name": "a"})).status_code == 200


async def test_the_openapi_documents_validation_errors_as_problems(settings: Any) -> None:
    async with api_client(_app(settings)) as http:
        schema = (await http.get("/openapi.json")).json()
    invalid = schema["paths"]["/things"]["post"]["responses"]["422"]
    assert list(invalid["content"]) == ["application/problem+json"]
    assert "HTTPValidationError" not in str(schema)


async def test_a_validation_error_answers_a_bounded_excerpt(settings: Any) -> None:
    async with api_client(_app(settings)) as http:
        r = await http.post("/things", content=json.dumps({"name": 5, "k" * 500_000: 1}), headers=JSON)
        r2 = await http.post("/things", content=json.dumps({"name": ["x" * 500_000]}), headers=JSON)
    assert r.status_code == 422 and len(r.content) < 2048
    assert r2.status_code == 422 and len(r2.content) < 2048
