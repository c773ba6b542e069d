"""`verachain cert verify`: a buyer's offline check of a certificate of authenticity, from the
credential file (`GET /certificates/{id}.vc.json`), its tlog-proof (GraphQL
`certificate { proof }`) and public keys. No database, no network."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from infra.credentials.offline_check import (
    BadInput,
    CertificateInvalid,
    VerifiedCertificate,
    parse_issuer_did,
    parse_log_key,
    verify_certificate,
)

EXIT_INVALID = 1
EXIT_BAD_INPUT = 2


@click.group()
def cert() -> None:
    """Certificates of authenticity: verify one offline."""


@cert.command("verify")
@click.argument("credential_file", metavar="FILE", type=click.Path(path_type=Path))
@click.option(
    "--proof",
    "proof_file",
    type=click.Path(path_type=Path),
    help="The C2SP tlog-proof of the certificate's issuance (needs --log-key).",
)
@click.option("--log-key", help="The audit log's verifier key, name+keyid+base64.")
@click.option("--issuer-key", help="The issuer's did:key the credential must be signed by.")
def cert_verify(
    credential_file: Path, proof_file: Path | None, log_key: str | None, issuer_key: str | None
) -> None:
    """Check the credential's signature and, with --proof, that its issuance is in the signed
    audit log. Exit 0 valid, 1 invalid (the reason on one line), 2 bad usage or input.
    Revocation is not visible offline: ask the API for the certificate's status."""
    try:
        if proof_file is not None and log_key is None:
            raise BadInput("--proof is checked against the log's key: give --log-key")
        if log_key is not None and proof_file is None:
            raise BadInput("--log-key is only used with --proof")
        verified = verify_certificate(
            _read(credential_file, "credential"),
            proof_text=None if proof_file is None else _read(proof_file, "proof"),
            log_key=None if log_key is None else parse_log_key(log_key),
            issuer_did=None if issuer_key is None else parse_issuer_did(issuer_key),
        )
    except BadInput as e:
        click.echo(f"cert verify: {e}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except CertificateInvalid as e:
        click.echo(f"cert verify: INVALID: {e.reason}", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(_summary(verified))


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"cannot read the {what} file {path}: {e}") from e


def _summary(verified: VerifiedCertificate) -> str:
    pinned = "" if verified.issuer_pinned else " (issuer not pinned: pass --issuer-key)"
    line = f"cert verify: OK: certificate {verified.certificate_id} signed by {verified.issuer}"
    line += pinned
    if verified.issuance is not None:
        logged = verified.issuance
        line += (
            f"; issued as leaf {logged.leaf_index} of the {logged.origin} tree of "
            f"{logged.tree_size} signed by the log key"
        )
    return line
