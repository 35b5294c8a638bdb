"""problem+json rendering and the transient/permanent split."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc

from kit.errors import Conflict, Retryable, install_error_handlers, is_transient


class WidgetTaken(Conflict):
    code, title = "widget.taken", "Widget already taken"


class Body(BaseModel):
    n: int


def app() -> FastAPI:
    application = FastAPI()
    install_error_handlers(application)

    @application.post("/widgets")
    async def take(body: Body) -> dict[str, int]:
        if body.n == 1:
            raise WidgetTaken("widget 1 is taken", widget=1)
        if body.n == 2:
            raise RuntimeError("secret internals")
        return {"n": body.n}

    return application


async def call(method: str, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, path, **kwargs)  # type: ignore[arg-type]


async def test_business_error_is_problem_json_with_stable_code() -> None:
    response = await call("POST", "/widgets", json={"n": 1})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {"type": "about:blank", "title": "Widget already taken", "status": 409,
                               "code": "widget.taken", "detail": "widget 1 is taken", "instance": "/widgets",
                               "details": {"widget": 1}}


async def test_validation_error_lists_every_problem() -> None:
    response = await call("POST", "/widgets", json={"n": "many"})
    body = response.json()
    assert response.status_code == 422 and body["code"] == "request.invalid"
    assert body["errors"][0]["loc"] == ["body", "n"]


async def test_unexpected_error_is_500_without_internals() -> None:
    response = await call("POST", "/widgets", json={"n": 2})
    assert response.status_code == 500
    assert response.json()["code"] == "internal"
    assert "secret" not in response.text


async def test_unknown_route_and_method_have_codes() -> None:
    assert (await call("GET", "/nope")).json()["code"] == "route.not_found"
    assert (await call("GET", "/widgets")).json()["code"] == "method.not_allowed"


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize("error, transient", [
    (ConnectionRefusedError(), True),
    (TimeoutError(), True),
    (Retryable("upstream busy"), True),
    (sa_exc.OperationalError("select", {}, ConnectionResetError()), True),
    (sa_exc.DBAPIError("select", {}, _PgError("40P01")), True),  # deadlock
    (sa_exc.IntegrityError("insert", {}, _PgError("23505")), False),  # a bug or bad data, not infrastructure
    (ValueError("bad event"), False),
    (KeyError("x"), False),
])
def test_transient_classification(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient
