"""Text as the APIs accept it: pydantic types for request schemas and parameters, and the pure check behind them.

Every string a client sends has a maximum length and a character policy:

- `text(n)`: one line of text. Refused: control characters (Unicode Cc: NUL and the rest), format characters (Cf: the
  bidi overrides and isolates such as U+202E, zero-width characters, the BOM, soft hyphens), lone surrogates (Cs:
  not text, cannot be stored nor encoded) and line or paragraph separators (Zl, Zp).
- `multiline_text(n)`: the same, with tab and line feed allowed (addresses, reasons).
- `person_name(n)`: letters of any script, combining marks, spaces and `. ' ’ - ,`; at least one letter.
- `organisation_name(n)`: a name that may be a company's: a person's name plus digits and `& ( ) /`
  ("PT Bank Negara Indonesia (Persero) Tbk", "CV 3 Serangkai", "PT A&B").
- `place_name(n)`: a person's name plus digits and `( ) /`.
- `secret(n)`: a `SecretStr` (passwords, passphrases): any character but controls and lone surrogates;
  `secret_text(n)` the same as a plain `str` (a form field).

A refusal is a 422 whose errors carry the field's path and a code of their own, `text.invalid_character`,
`text.too_long` or `name.invalid_character` (the problem's `code` too when it is the only kind of error), e.g.

    class BuyerIn(BaseModel):
        name: organisation_name(200)
        address: multiline_text(500) | None = None

    async def messages(request_id: Annotated[text(200), Query(min_length=1)]) -> ...

Identifiers made of digits are patterns with `[0-9]`, never `\\d`: pydantic's regular expressions are Unicode-aware,
and `\\d` takes any script's digits ("١٢٣", an NPWP no one could type at a tax office).

Why Cf as a whole: a name must look like what it says. U+202E printed on a certificate shows another name (seed 000
item 1), and zero-width joiners make two different names look the same. Scripts that need ZWJ/ZWNJ inside words are
refused with them; say so if a taxpayer needs one.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, SecretStr, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

INVALID_CHARACTER = "text.invalid_character"
TOO_LONG = "text.too_long"
NAME_INVALID = "name.invalid_character"

_NEVER = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SECRET_NEVER = frozenset({"Cc", "Cs"})
LINE_BREAKS = frozenset("\t\n")
_NAME_PUNCTUATION = ".'\u2019-,"
_CATEGORY_NAMES = {"Cc": "(control character)", "Cs": "(lone surrogate)", "Cn": "(unassigned)"}


def character_problem(value: str, *, allowed: frozenset[str] = frozenset(),
                      never: frozenset[str] = _NEVER) -> tuple[int, str] | None:
    """The position and the character of the first one refused in `value`, or None (pure). `allowed`: characters
    accepted although their category is refused (tab and line feed in multi-line text)."""
    if value.isprintable():  # C fast path: no Cc, Cf, Cs, Zl, Zp (nor Co, Cn, or spaces other than U+0020)
        return None
    for position, char in enumerate(value):
        if not char.isprintable() and char not in allowed and unicodedata.category(char) in never:
            return position, char
    return None


def describe(char: str) -> str:
    """U+202E RIGHT-TO-LEFT OVERRIDE: what a refused character is, never the character itself."""
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "") or _CATEGORY_NAMES.get(unicodedata.category(char), "")
    return f"{code} {name}".strip()


def name_problem(value: str, *, extra: str = "", digits: bool = False) -> tuple[int, str] | None:
    """The first character a name may not contain (letters, marks and spaces always may; `extra` characters and,
    with `digits`, decimal digits too), or (-1, "") when it has no letter at all (pure)."""
    has_letter = False
    for position, char in enumerate(value):
        category = unicodedata.category(char)
        if category[0] == "L":
            has_letter = True
        elif category[0] == "M" or category == "Zs" or char in _NAME_PUNCTUATION or char in extra:
            continue
        elif not (digits and category == "Nd"):
            return position, char
    return None if has_letter else (-1, "")


def _refuse(value: Any, max_length: int, allowed: frozenset[str], never: frozenset[str] = _NEVER) -> Any:
    if not isinstance(value, str):
        return value  # pydantic answers `string_type` for it
    if len(value) > max_length:
        raise PydanticCustomError(TOO_LONG, "at most {max_length} characters", {"max_length": max_length})
    found = character_problem(value, allowed=allowed, never=never)
    if found is not None:
        position, char = found
        raise PydanticCustomError(INVALID_CHARACTER, "{character} (position {position}) is not allowed here",
                                  {"character": describe(char), "position": position})
    return value


def _checker(max_length: int, allowed: frozenset[str] = frozenset(),
             never: frozenset[str] = _NEVER) -> BeforeValidator:
    return BeforeValidator(lambda value: _refuse(value, max_length, allowed, never))


def text(max_length: int, *, min_length: int = 0) -> Any:
    """One line of text, at most `max_length` characters."""
    return Annotated[str, _checker(max_length), StringConstraints(min_length=min_length or None, max_length=max_length)]


def multiline_text(max_length: int, *, min_length: int = 0) -> Any:
    """Text that may hold tabs and line feeds (an address, a reason), at most `max_length` characters."""
    return Annotated[str, _checker(max_length, LINE_BREAKS),
                     StringConstraints(min_length=min_length or None, max_length=max_length)]


def _name(max_length: int, min_length: int, *, extra: str, digits: bool, kind: str) -> Any:
    def check(value: str) -> str:
        found = name_problem(value, extra=extra, digits=digits)
        if found is None:
            return value
        position, char = found
        if position < 0:
            raise PydanticCustomError(NAME_INVALID, "a {kind} needs at least one letter", {"kind": kind})
        raise PydanticCustomError(NAME_INVALID, "{character} (position {position}) is not allowed in a {kind}",
                                  {"character": describe(char), "position": position, "kind": kind})

    return Annotated[str, _checker(max_length), StringConstraints(min_length=min_length or None, max_length=max_length),
                     AfterValidator(check)]


def person_name(max_length: int = 200, *, min_length: int = 1) -> Any:
    return _name(max_length, min_length, extra="", digits=False, kind="person's name")


def organisation_name(max_length: int = 200, *, min_length: int = 1) -> Any:
    return _name(max_length, min_length, extra="&()/", digits=True, kind="name")


def place_name(max_length: int = 100, *, min_length: int = 1) -> Any:
    return _name(max_length, min_length, extra="()/", digits=True, kind="place name")


def secret(max_length: int = 256, *, min_length: int = 1) -> Any:
    """A password or passphrase: every printable character of any script, spaces included; no control characters
    nor lone surrogates (they cannot be hashed as UTF-8)."""
    return Annotated[SecretStr, _checker(max_length, never=_SECRET_NEVER),
                     StringConstraints(min_length=min_length or None, max_length=max_length),
                     WithJsonSchema({"type": "string", "format": "password", "writeOnly": True,
                                     "minLength": min_length, "maxLength": max_length})]


def secret_text(max_length: int = 256, *, min_length: int = 1) -> Any:
    """`secret`'s policy on a plain `str`, for a form field the code reads as text (the OAuth token endpoint)."""
    return Annotated[str, _checker(max_length, never=_SECRET_NEVER),
                     StringConstraints(min_length=min_length or None, max_length=max_length)]
