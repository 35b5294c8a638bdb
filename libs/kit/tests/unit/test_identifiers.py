"""The shared identifier rules (their published test vectors run in identity's and invoice's unit tests): digits
that are not ASCII are refused, not passed to int()."""

from __future__ import annotations

import pytest

from kit.identifiers import nik_problem, nitku_problem, npwp15_problem, npwp16_problem

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(("check", "valid"), [
    (nik_problem, "3171015708450001"), (npwp15_problem, "010016103051000"), (npwp16_problem, "0010016103051000"),
    (nitku_problem, "0010016103051000000000"),
])
def test_only_ascii_digits_make_a_number(check, valid: str) -> None:  # type: ignore[no-untyped-def]
    assert check(valid) is None
    assert check(valid.translate(ARABIC_INDIC)) in ("format", "length")
    assert check(valid[:-1] + "²") in ("format", "length")  # '²'.isdigit() is True, int('²') fails
