"""`python -m identity.keys --out DIR`: the key material a production deployment needs, generated offline.

Writes one file per setting, named after its variable (mode 0600), so that each folder becomes its Secret as is
(`kubectl create secret generic identity-secret --from-file=DIR/identity ...`, deploy/README.md):

    DIR/identity/IDENTITY_TOKENS__SIGNING_KEY             Ed25519 private key (PKCS#8 PEM) that signs access tokens
    DIR/identity/IDENTITY_CREDENTIALS__CA_KEY             the signing CA: ECDSA P-256 private key (PKCS#8 PEM)
    DIR/identity/IDENTITY_CREDENTIALS__CA_CERT            ... and its self-signed certificate (PEM)
    DIR/identity/IDENTITY_OTP__PEPPER                     HMAC key of the stored OTP codes (32 random bytes)
    DIR/identity/IDENTITY_OTP__NOTIFICATION_PUBLIC_KEY    X25519 public key identity seals OTP codes to
    DIR/notification/NOTIFICATION_SEALING__PRIVATE_KEY    ... and its private half, which only notification holds

`--only token-key|ca|pepper|sealing` writes one of them (a rotation); nothing is read from or sent to the network.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.credentials.authority import CertificateAuthority
from kit.sealing import generate_keypair

Material = dict[str, dict[str, str]]  # service -> {variable: value}


def token_key() -> Material:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {"identity": {"IDENTITY_TOKENS__SIGNING_KEY": pem.decode()}}


def ca(common_name: str = "Lontar Signing CA", years: int = 10) -> Material:
    authority = CertificateAuthority.generate(common_name=common_name, years=years)
    return {"identity": {"IDENTITY_CREDENTIALS__CA_KEY": authority.key_pem(),
                         "IDENTITY_CREDENTIALS__CA_CERT": authority.certificate_pem()}}


def pepper() -> Material:
    return {"identity": {"IDENTITY_OTP__PEPPER": base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")}}


def sealing() -> Material:
    private, public = generate_keypair()
    return {"identity": {"IDENTITY_OTP__NOTIFICATION_PUBLIC_KEY": public},
            "notification": {"NOTIFICATION_SEALING__PRIVATE_KEY": private}}


def generate(only: str | None = None, *, ca_common_name: str = "Lontar Signing CA", ca_years: int = 10) -> Material:
    makers: dict[str, Callable[[], Material]] = {
        "token-key": token_key, "ca": lambda: ca(ca_common_name, ca_years), "pepper": pepper, "sealing": sealing}
    material: Material = {}
    for name, make in makers.items():
        if only in (None, name):
            for service, values in make().items():
                material.setdefault(service, {}).update(values)
    return material


def write(material: Material, out: Path) -> list[Path]:
    written = []
    for service, values in material.items():
        folder = out / service
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for variable, value in values.items():
            path = folder / variable
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(value)
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m identity.keys", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into (one sub-folder per service)")
    parser.add_argument("--only", choices=["token-key", "ca", "pepper", "sealing"])
    parser.add_argument("--ca-common-name", default="Lontar Signing CA")
    parser.add_argument("--ca-years", type=int, default=10)
    args = parser.parse_args(argv)
    for path in write(generate(args.only, ca_common_name=args.ca_common_name, ca_years=args.ca_years), args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
