"""NIK, NPWP and NITKU rules against the published test vectors."""

from datetime import date

import pytest

from identity.numbers import (
    InvalidNIK,
    InvalidNITKU,
    InvalidNPWP,
    format_npwp15,
    npwp15_to_npwp16,
    parse_nik,
    validate_nitku,
    validate_npwp15,
    validate_npwp16,
)

VALID_NPWP15 = ["01.001.610.3-051.000", "01.001.634.3-093.000", "01.105.197.6-424.000", "01.112.397.3-441.000", "01.125.612.0-805.000", "01.129.154.9-201.000", "01.216.271.5-441.000", "01.258.022.1-201.000", "01.268.426.2-201.000", "01.311.830.2-073.000", "02.037.103.5-502.000", "02.071.326.9-101.000", "010692903641000", "017048299643001", "21.078.367.6-424.000", "31.294.519.9-424.000", "66.487.591.1-071.000", "70.838.297.3-201.000", "71.269.216.9-203.000", "75.193.535.4-805.000", "755023033513000", "762278075077000", "811145994124000", "83.132.665.7-201.000", "84.054.217.9-609.000", "846150324629000", "90.004.581.6-201.000", "023869720091000"]


@pytest.mark.parametrize("npwp", VALID_NPWP15)
def test_published_npwp15_numbers_are_valid(npwp: str) -> None:
    assert len(validate_npwp15(npwp)) == 15
    assert validate_npwp16(npwp15_to_npwp16(npwp)).startswith("0")


def test_npwp15_normalisation_formatting_and_errors() -> None:
    assert validate_npwp15("01.451.869.0-054.000") == "014518690054000"
    assert validate_npwp15("02 . 433 . 917 . 8 - 011 . 000") == "024339178011000"
    assert format_npwp15("013319595054000") == "01.331.959.5-054.000"
    assert npwp15_to_npwp16("01.312.166.0-091.000") == "0013121660091000"
    with pytest.raises(InvalidNPWP) as wrong_check:
        validate_npwp15("01.451.869.7-054.000")
    assert wrong_check.value.details["reason"] == "checksum"
    for bad in ("12345678901234", "FF3456789012345"):
        with pytest.raises(InvalidNPWP):
            validate_npwp15(bad)


def test_npwp16_is_a_nik_or_zero_plus_npwp15() -> None:
    assert validate_npwp16("083.132.665.7-201.000") == "0831326657201000"
    assert validate_npwp16("3171011708450001") == "3171011708450001"
    with pytest.raises(InvalidNPWP):
        validate_npwp16("0014518697054000")  # bad check digit
    with pytest.raises(InvalidNPWP):
        validate_npwp16("9971011708450001")  # not a NIK: province 99


@pytest.mark.parametrize("nik, birth, female", [
    ("3171011708450001", date(1945, 8, 17), False),
    ("3171015708450001", date(1945, 8, 17), True),
    ("3171012902001234", date(2000, 2, 29), False),
    ("3578080102030001", date(2003, 2, 1), False),
    ("3515144508680002", date(1968, 8, 5), True),
    ("3602041211870001", date(1987, 11, 12), False),
    ("3276055708900002", date(1990, 8, 17), True),
])
def test_valid_niks(nik: str, birth: date, female: bool) -> None:
    parsed = parse_nik(nik)
    assert (parsed.birth_date, parsed.female) == (birth, female)


@pytest.mark.parametrize("nik, reason", [
    ("31710117084500", "length_or_format"),
    ("9971011708450001", "province"),
    ("3171013002001234", "birth_date"),
    ("3502027102019913", "birth_date"),
    ("3273010119800002", "birth_date"),
    ("3171011708450000", "serial"),
])
def test_invalid_niks(nik: str, reason: str) -> None:
    with pytest.raises(InvalidNIK) as info:
        parse_nik(nik)
    assert info.value.details["reason"] == reason


def test_nitku() -> None:
    assert validate_nitku("0013121660091000000001") == "0013121660091000000001"
    with pytest.raises(InvalidNITKU):
        validate_nitku("0013121660091000")
    with pytest.raises(InvalidNITKU):
        validate_nitku("0014518697054000000000")
