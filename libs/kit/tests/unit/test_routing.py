"""kit.routing.LeanRoute: a simple route answers through a direct handler, and every answer is the one FastAPI's own
handler gives (same status, headers and body, dependencies run as often and in the same order), whatever the
request: valid, invalid, malformed, unauthenticated, too large, or with dependency overrides set."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi import routing as fastapi_routing
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from kit.app import BodyLimit
from kit.errors import Conflict, Unauthorized, install_error_handlers
from kit.routing import LeanRoute
from kit.settings import HttpSettings

MiB = 1 << 20
calls: list[str] = []


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=5)
    count: StrictInt


async def database() -> str:
    calls.append("database")
    return "db"


async def principal(request: Request, db: Annotated[str, Depends(database)]) -> str:
    calls.append("principal")
    token = request.headers.get("authorization")
    if not token:
        raise Unauthorized("send a token")
    return token


Principal = Annotated[str, Depends(principal)]
Database = Annotated[str, Depends(database)]


async def create_thing(thing: Thing, who: Principal, db: Database, request: Request) -> Response:
    calls.append("endpoint")
    if thing.name == "boom":
        raise Conflict("this thing exists", name=thing.name)
    return Response(json.dumps({"name": thing.name, "who": who, "db": db, "path": request.url.path}),
                    status_code=201, media_type="application/json", headers={"x-made": "1"})


async def read_thing(name: str) -> Response:  # a path parameter: FastAPI's handler
    return Response(name)


async def echo_thing(thing: Thing) -> Thing:  # returns a model, serialised by FastAPI: FastAPI's handler
    return thing


def counted_thing(thing: Thing, who: Principal) -> Response:  # plain def, run on the thread pool: FastAPI's handler
    return Response(thing.name)


SETTINGS: Any = SimpleNamespace(http=HttpSettings(max_body_bytes=MiB))  # all BodyLimit reads of the settings


def make_app(route_class: type[Any]) -> FastAPI:
    router = APIRouter(prefix="/v1", route_class=route_class)
    router.post("/things", status_code=201)(create_thing)
    router.get("/things/{name}")(read_thing)
    router.post("/echo")(echo_thing)
    router.post("/counted")(counted_thing)
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(BodyLimit, settings=SETTINGS)
    app.include_router(router)
    return app


@pytest.fixture
async def clients() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    stock, lean = make_app(fastapi_routing.APIRoute), make_app(LeanRoute)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=stock), base_url="http://t") as s, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=lean), base_url="http://t") as lean_client:
        lean_client.app = lean  # type: ignore[attr-defined]
        yield s, lean_client


@pytest.fixture
def fastapi_handled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What FastAPI's own handler did: parse a JSON body (`Request.json`), solve the dependencies. The direct handler
    does neither (it parses with `json.loads` and calls the dependencies itself)."""
    handled: list[str] = []
    solve, parse = fastapi_routing.solve_dependencies, Request.json

    async def solving(**kwargs: Any) -> Any:
        handled.append("solve_dependencies")
        return await solve(**kwargs)

    async def parsing(self: Request) -> Any:
        handled.append("Request.json")
        return await parse(self)

    monkeypatch.setattr(fastapi_routing, "solve_dependencies", solving)
    monkeypatch.setattr(Request, "json", parsing)
    return handled


def test_simple_routes_get_the_direct_handler_and_the_others_keep_fastapis() -> None:
    app = make_app(LeanRoute)
    included = [r for r in app.router.routes if hasattr(r, "original_router")]
    lean = {route.path: route.lean for r in included for route in r.original_router.routes}
    assert lean == {"/v1/things": True, "/v1/things/{name}": False, "/v1/echo": False, "/v1/counted": False}
    assert app.openapi() == make_app(fastapi_routing.APIRoute).openapi()  # the same document


TOKEN = {"authorization": "Bearer t"}
JSON = {"content-type": "application/json"}
VALID = json.dumps({"name": "ab", "count": 1}).encode()
# (name, headers, body, answered by the direct handler rather than FastAPI's)
REQUESTS: list[tuple[str, dict[str, str], bytes, bool]] = [
    ("valid", {**TOKEN, **JSON}, VALID, True),
    ("the endpoint refuses", {**TOKEN, **JSON}, json.dumps({"name": "boom", "count": 1}).encode(), True),
    ("no token", JSON, VALID, True),
    ("no token and an invalid body", JSON, b'{"name": ""}', False),
    ("a field of the wrong type", {**TOKEN, **JSON}, b'{"name": "ab", "count": "1"}', False),
    ("an unknown field", {**TOKEN, **JSON}, b'{"name": "ab", "count": 1, "extra": 2}', False),
    ("not a JSON object", {**TOKEN, **JSON}, b'[1, 2]', False),
    ("malformed JSON", {**TOKEN, **JSON}, b'{"name": ', False),
    ("not UTF-8", {**TOKEN, **JSON}, b'{"name": "\xff\xfe"}', False),
    ("nested beyond the parser", {**TOKEN, **JSON}, b"[" * 100_000 + b"]" * 100_000, False),
    ("empty", {**TOKEN, **JSON}, b"", False),
    ("no content type", TOKEN, VALID, False),
    ("text/plain", {**TOKEN, "content-type": "text/plain"}, VALID, False),
    ("JSON with a charset", {**TOKEN, "content-type": "application/json; charset=utf-8"}, VALID, False),
    ("a problem+json body", {**TOKEN, "content-type": "application/problem+json"}, VALID, False),
    ("over the body limit", {**TOKEN, **JSON}, b'{"name": "' + b"x" * 2 * MiB + b'", "count": 1}', True),
]


@pytest.mark.parametrize(("name", "headers", "body", "direct"), REQUESTS, ids=[r[0] for r in REQUESTS])
async def test_every_answer_is_fastapis(clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
                                        fastapi_handled: list[int], name: str, headers: dict[str, str], body: bytes,
                                        direct: bool) -> None:
    stock, lean = clients
    calls.clear()
    expected = await stock.post("/v1/things", headers=headers, content=body)
    stock_calls = list(calls)
    calls.clear()
    fastapi_handled.clear()
    answer = await lean.post("/v1/things", headers=headers, content=body)
    assert (answer.status_code, answer.headers.items(), answer.content) == \
        (expected.status_code, expected.headers.items(), expected.content)
    assert calls == stock_calls  # the same dependencies, once each, in the same order
    assert bool(fastapi_handled) is not direct  # only the happy path skips FastAPI's handler


async def test_a_body_streamed_over_the_limit_is_refused_the_same(
        clients: tuple[httpx.AsyncClient, httpx.AsyncClient]) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(10):
            yield b"x" * (MiB // 5)
        yield b'", "count": 1}'

    stock, lean = clients
    expected = await stock.post("/v1/things", headers={**TOKEN, **JSON}, content=chunks())
    answer = await lean.post("/v1/things", headers={**TOKEN, **JSON}, content=chunks())
    assert answer.status_code == expected.status_code == 413
    assert answer.content == expected.content


async def test_dependency_overrides_are_honoured(clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
                                                 fastapi_handled: list[int]) -> None:
    stock, lean = clients

    async def someone() -> str:
        return "overridden"

    for client in (stock, lean):
        client._transport.app.dependency_overrides[principal] = someone  # type: ignore[attr-defined]
    expected = await stock.post("/v1/things", headers=JSON, content=VALID)
    fastapi_handled.clear()
    answer = await lean.post("/v1/things", headers=JSON, content=VALID)
    assert answer.json()["who"] == expected.json()["who"] == "overridden"
    assert fastapi_handled  # FastAPI's handler, which knows the overrides
