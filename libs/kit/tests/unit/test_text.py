"""kit.text: the character policy of every string an API takes, its codes, and the bounded error answers."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from kit.errors import excerpt, validation_errors
from kit.testing.hostile import BIDI_CONTROLS, INVISIBLE
from kit.text import (
    character_problem,
    describe,
    multiline_text,
    organisation_name,
    person_name,
    place_name,
    secret,
    secret_text,
    text,
)


class Form(BaseModel):
    line: text(20) | None = None
    lines: multiline_text(20) | None = None
    person: person_name(40) | None = None
    company: organisation_name(60) | None = None
    place: place_name(40) | None = None
    password: secret(16) | None = None
    raw_password: secret_text(16) | None = None
    tags: dict[text(5), bool] = {}


def _error(**fields: Any) -> tuple[str, tuple[Any, ...]] | None:
    try:
        Form.model_validate(fields)
    except ValidationError as exc:
        [error] = exc.errors()
        return error["type"], error["loc"]
    return None


@pytest.mark.parametrize("value", ["Jl. Merdeka No. 1", "张伟", "Ñandú", "a\u00a0b", "😀", "", "x" * 20])
def test_one_line_takes_any_printable_text(value: str) -> None:
    assert _error(line=value) is None


@pytest.mark.parametrize("value", ["a\u0000b", "a\nb", "a\tb", "a\rb", "\u0085", "a\u2028b", "a\ud800",
                                   "\udfff", *BIDI_CONTROLS, *INVISIBLE])
def test_one_line_refuses_controls_format_characters_separators_and_surrogates(value: str) -> None:
    assert _error(line=value) == ("text.invalid_character", ("line",))


def test_multiline_takes_tabs_and_line_feeds_only() -> None:
    assert _error(lines="Jl. Merdeka 1\n\tBlok") is None
    for bad in ("a\u0000", "a\r\n", "a\u202e", "a\u000b"):
        assert _error(lines=bad) == ("text.invalid_character", ("lines",)), bad


def test_too_long_is_coded_and_checked_before_the_characters() -> None:
    assert _error(line="x" * 21) == ("text.too_long", ("line",))
    assert _error(line="\u0000" * 10_000) == ("text.too_long", ("line",))


@pytest.mark.parametrize("value, ok", [
    ("Budi Santoso", True), ("Zoë O'Brien-Smith, Jr.", True), ("O’Neil", True), ("張偉", True),
    ("Nguyễn Văn A", True), ("محمد", True), ("e\u0301lodie", True),  # combining accent
    ("Budi 2", False), ("Budi <b>", False), ("Budi & Ani", False), ("...", False), ("-", False),
])
def test_person_names(value: str, ok: bool) -> None:
    assert _error(person=value) == (None if ok else ("name.invalid_character", ("person",)))


@pytest.mark.parametrize("value, ok", [
    ("PT Bank Negara Indonesia (Persero) Tbk", True), ("CV 3 Serangkai", True), ("PT A&B/Cabang Medan", True),
    ("PT. Maju, Tbk.", True), ("PT Maju #2", False), ("PT <script>", False), ("123", False),
    ("PT Maju\u202eAYAJ", False),
])
def test_organisation_names(value: str, ok: bool) -> None:
    error = _error(company=value)
    assert (error is None) is ok, error


def test_place_names_take_digits() -> None:
    assert _error(place="Kab. 50 Kota") is None
    assert _error(place="Kota\u0000Nul") == ("text.invalid_character", ("place",))


def test_secrets_take_anything_printable_but_no_control_or_lone_surrogate() -> None:
    assert _error(password="p@ss wörd \u202e1") is None  # a password is not shown: format characters are fine
    assert _error(raw_password="p@ss wörd") is None
    for bad in ("pass\u0000", "pass\ud800", "pass\n"):
        assert _error(password=bad) == ("text.invalid_character", ("password",)), bad
        assert _error(raw_password=bad) == ("text.invalid_character", ("raw_password",)), bad
    assert _error(password="x" * 17) == ("text.too_long", ("password",))
    assert isinstance(Form(password="secret").password, SecretStr)


def test_dictionary_keys_follow_the_policy_too() -> None:
    assert _error(tags={"ok": True}) is None
    assert _error(tags={"a\u0000": True})[0] == "text.invalid_character"  # type: ignore[index]
    assert _error(tags={"toolong": True})[0] == "text.too_long"  # type: ignore[index]


def test_non_strings_are_left_to_pydantic() -> None:
    assert _error(line=5) == ("string_type", ("line",))


def test_the_check_and_the_description_never_show_the_character() -> None:
    assert character_problem("ab\u202ec") == (2, "\u202e")
    assert character_problem("a\tb", allowed=frozenset("\t")) is None
    assert describe("\u202e") == "U+202E RIGHT-TO-LEFT OVERRIDE"
    assert describe("\u0000") == "U+0000 (control character)"
    assert describe("\ud800") == "U+D800 (lone surrogate)"


def test_the_schema_documents_the_lengths() -> None:
    properties = Form.model_json_schema()["properties"]
    assert properties["line"]["anyOf"][0] == {"type": "string", "maxLength": 20}
    assert properties["password"]["anyOf"][0]["writeOnly"] is True


def test_validation_errors_are_bounded_and_coded() -> None:
    many = [{"loc": ("body", "k" * 10_000, i), "msg": "m" * 10_000, "type": "text.invalid_character",
             "input": "x" * 10_000, "ctx": {"huge": "y" * 10_000}} for i in range(500)]
    code, errors = validation_errors(many)
    assert code == "text.invalid_character" and len(errors) == 50
    assert set(errors[0]) == {"loc", "msg", "type"} and len(str(errors[0])) < 600
    mixed = [*many[:1], {"loc": ("body", "n"), "msg": "x", "type": "int_parsing"}]
    assert validation_errors(mixed)[0] == "request.invalid"
    assert validation_errors([{"loc": ("query", "q"), "msg": "x", "type": "missing"}])[0] == "request.invalid"


def test_excerpts_are_short_and_encodable() -> None:
    assert excerpt("a" * 500) == "a" * 100 + "…"
    assert excerpt("PT \ud800").encode("utf-8") == b"PT \\ud800"
