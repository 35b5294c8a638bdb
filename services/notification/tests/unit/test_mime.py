"""The e-mail bytes we build read back the same through a standard parser."""

import email
import email.policy

from notification.mime import envelope_sender, from_header, plain_text_email


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_round_trip_with_indonesian_text_and_long_lines() -> None:
    body = "Yth. Wajib Pajak,\nKode OTP Anda: 123456. Berlaku 5 menit.\n\n" + "Lontar " * 40 + "\n. titik di awal baris"
    raw = plain_text_email(from_=from_header("Lontar <no-reply@lontar.example>"), to="wp@example.co.id",
                           subject="Pendaftaran berhasil — NPWP 0123456789012345", body=body,
                           message_id="<abc@notification.lontar>")
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    message = parse(raw)
    assert message["To"] == "wp@example.co.id"
    assert message["From"].addresses[0].addr_spec == "no-reply@lontar.example"
    assert str(message["Subject"]) == "Pendaftaran berhasil — NPWP 0123456789012345"
    assert message["Message-ID"] == "<abc@notification.lontar>"
    assert message.get_content_type() == "text/plain"
    assert message.get_content().replace("\r\n", "\n") == body + "\n"  # SMTP line ends are CRLF
    assert not message.defects


def test_a_line_break_in_a_subject_cannot_add_a_header() -> None:
    raw = plain_text_email(from_="Lontar <no-reply@lontar.example>", to="wp@example.co.id",
                           subject="Hello\r\nBcc: attacker@example.com", body="x", message_id="<1@x>")
    message = parse(raw)
    assert message["Bcc"] is None
    assert "attacker@example.com" in str(message["Subject"])


def test_sender_with_a_non_ascii_display_name() -> None:
    header = from_header("Direktorat Jenderal Pajak — Lontar <no-reply@lontar.example>")
    assert header.isascii()
    assert envelope_sender("Lontar <no-reply@lontar.example>") == "no-reply@lontar.example"
    message = parse(plain_text_email(from_=header, to="a@b.co", subject="s", body="b", message_id="<1@x>"))
    assert message["From"].addresses[0].display_name == "Direktorat Jenderal Pajak — Lontar"
