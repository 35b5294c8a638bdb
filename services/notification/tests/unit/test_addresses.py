import pytest

from notification.addresses import InvalidDestination, mask, normalise_email, normalise_phone


@pytest.mark.parametrize("raw", ["081234567890", "0812-3456-7890", "0812 3456 7890", "6281234567890",
                                 "+62 812 3456 7890", "+62(812)3456.7890", " 081234567890 "])
def test_indonesian_mobile_numbers_become_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+6281234567890"


@pytest.mark.parametrize("raw, why", [
    ("0212345678", "not a mobile"), ("+14155550100", "only Indonesian"), ("0812345", "10 to 15"),
    ("08123456789012345", "10 to 15"), ("0812abc34567", "digits only"), ("", "starts with"),
    ("+62 812 3456 789x", "digits only"), ("812345678901", "starts with"),
])
def test_bad_phone_numbers_are_refused_with_a_reason(raw: str, why: str) -> None:
    with pytest.raises(InvalidDestination, match=why):
        normalise_phone(raw)


@pytest.mark.parametrize("raw, expected", [
    ("Budi.Santoso@Example.CO.ID", "Budi.Santoso@example.co.id"), ("a+tag@pajak.go.id", "a+tag@pajak.go.id"),
    ("x@bücher.de", "x@xn--bcher-kva.de"),
])
def test_email_addresses_are_normalised(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", [
    "plain", "@example.com", "budi@", "budi@@example.com", "budi@example", "bu di@example.com",
    "budi@example.com\r\nBcc: x@y.id", "budi@-example.com", "budi@example.c", "a,b@example.com",
    ".budi@example.com", "budi..s@example.com", "<budi@example.com>", "x" * 65 + "@example.com",
    "budi@" + "a" * 250 + ".com", "budi@example.123",
])
def test_bad_email_addresses_are_refused(raw: str) -> None:
    with pytest.raises(InvalidDestination):
        normalise_email(raw)


def test_masking_hides_most_of_an_address() -> None:
    assert mask("sms", "+6281234567890") == "+6281******890"
    assert mask("email", "budi@example.com") == "b***@example.com"
