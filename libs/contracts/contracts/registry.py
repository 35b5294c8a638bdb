"""Contract registry: event models by (type, version), producer validation and tolerant consumer parsing."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.envelope import Envelope


class Contract(BaseModel):
    """Base of every event payload: frozen, and read tolerantly (unknown fields from newer producers are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: ClassVar[str]
    version: ClassVar[int]
    source: ClassVar[str]


class UnknownEvent(Exception):
    """No contract is registered for this (type, version): consumers log, count and skip."""

    def __init__(self, event_type: str, version: int) -> None:
        super().__init__(f"no contract registered for {event_type} v{version}")
        self.event_type = event_type
        self.version = version


class InvalidEvent(Exception):
    """The envelope or its data does not match the contract: the message is poison."""


_REGISTRY: dict[tuple[str, int], type[Contract]] = {}
C = TypeVar("C", bound=type[Contract])


def register(model: C) -> C:
    key = (model.type, model.version)
    if key in _REGISTRY and _REGISTRY[key] is not model:
        raise RuntimeError(f"contract {key} registered twice")
    _REGISTRY[key] = model
    return model


def registered() -> dict[tuple[str, int], type[Contract]]:
    return dict(_REGISTRY)


def contract_for(event_type: str, version: int) -> type[Contract]:
    try:
        return _REGISTRY[(event_type, version)]
    except KeyError:
        raise UnknownEvent(event_type, version) from None


def payload_of(event: Contract) -> dict[str, Any]:
    """Producer side: the JSON payload, checked to parse back into its own contract before it is published."""
    data = event.model_dump(mode="json")
    try:
        type(event).model_validate(data)
    except ValidationError as exc:
        raise InvalidEvent(f"{event.type} v{event.version} does not round-trip: {_summary(exc)}") from None
    return data


def parse(raw: dict[str, Any]) -> tuple[Envelope, Contract]:
    """Consumer side: envelope and typed payload, read tolerantly (unknown fields ignored).

    Raises `UnknownEvent` for a type/version this build does not know and `InvalidEvent` for malformed input.
    """
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as exc:
        raise InvalidEvent(f"bad envelope: {_summary(exc)}") from None
    model = contract_for(envelope.type, envelope.version)
    try:
        return envelope, model.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidEvent(f"{envelope.type} v{envelope.version}: {_summary(exc)}") from None


def _summary(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:5])
