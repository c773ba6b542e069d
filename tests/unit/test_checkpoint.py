"""Checkpoint text: one tree head has exactly one text, and only that text parses."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.checkpoint import DEFAULT_ORIGIN, Checkpoint, CheckpointError, parse_checkpoint
from projections.merkle import EMPTY_ROOT
from projections.signed_note import open_note, parse_verifier_key, sign_note, verifier_key

ROOT = bytes(range(32))
ROOT_TEXT = base64.b64encode(ROOT).decode()


def test_the_body_is_origin_size_and_root_lines() -> None:
    checkpoint = Checkpoint(DEFAULT_ORIGIN, 42, ROOT)
    assert checkpoint.body() == f"verachain/audit/v1\n42\n{ROOT_TEXT}\n"
    assert parse_checkpoint(checkpoint.body()) == checkpoint


def test_the_spec_example_parses() -> None:
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = parse_checkpoint(text)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.root.hex().startswith("0ac5186a")
    assert checkpoint.body() == text


def test_extension_lines_round_trip() -> None:
    checkpoint = Checkpoint("log.example", 7, ROOT, ("Timestamp: 1700000000", "— note"))
    assert checkpoint.body().endswith("\nTimestamp: 1700000000\n— note\n")
    assert parse_checkpoint(checkpoint.body()) == checkpoint


def test_the_empty_tree_has_size_zero_and_the_empty_root() -> None:
    checkpoint = Checkpoint(DEFAULT_ORIGIN, 0, EMPTY_ROOT)
    assert checkpoint.body().splitlines()[1:] == [
        "0",
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    ]
    assert parse_checkpoint(checkpoint.body()) == checkpoint


def test_a_signed_checkpoint_opens_and_parses_back() -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes(32))
    checkpoint = Checkpoint(DEFAULT_ORIGIN, 2**40, ROOT)
    note = sign_note(checkpoint.body(), DEFAULT_ORIGIN, key)
    verifier = parse_verifier_key(verifier_key(DEFAULT_ORIGIN, key.public_key()))
    assert parse_checkpoint(open_note(note, verifier)) == checkpoint


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"log\n1\n{ROOT_TEXT}", "ends with a newline"),
        ("log\n1\n", "an origin, a size and a root"),
        (f"\n1\n{ROOT_TEXT}\n", "origin"),
        (f"log\n01\n{ROOT_TEXT}\n", "leading zeros"),
        (f"log\n00\n{ROOT_TEXT}\n", "leading zeros"),
        (f"log\n-1\n{ROOT_TEXT}\n", "decimal"),
        (f"log\n+1\n{ROOT_TEXT}\n", "decimal"),
        (f"log\n1_000\n{ROOT_TEXT}\n", "decimal"),
        (f"log\n 1\n{ROOT_TEXT}\n", "decimal"),
        (f"log\n\u0661\n{ROOT_TEXT}\n", "decimal"),  # an Arabic-Indic one, which int() takes
        (f"log\n\n{ROOT_TEXT}\n", "decimal"),
        (f"log\n{'9' * 20}\n{ROOT_TEXT}\n", "decimal"),
        (f"log\n{2**63}\n{ROOT_TEXT}\n", "0..2\\^63-1"),
        ("log\n1\nAAAA\n", "32 bytes"),
        (f"log\n1\n{ROOT_TEXT.rstrip('=')}\n", "root hash"),
        (f"log\n1\n{ROOT_TEXT[:-2]}9=\n", "non-canonical"),  # unused bits set
        (f"log\n1\n{ROOT_TEXT}\n\n", "extension line"),
        (f"log\n1\n{ROOT_TEXT}\next\n\n", "extension line"),
        (f"log\n1\n{ROOT_TEXT}\r\n", "root hash"),
        (f"lo\tg\n1\n{ROOT_TEXT}\n", "origin"),
        (f"lo\ud800g\n1\n{ROOT_TEXT}\n", "origin"),
    ],
)
def test_malformed_checkpoints_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        ("", 1, ROOT, ()),
        ("a\nb", 1, ROOT, ()),
        ("log", -1, ROOT, ()),
        ("log", 2**63, ROOT, ()),
        ("log", True, ROOT, ()),
        ("log", 1, ROOT[:31], ()),
        ("log", 1, ROOT, ("",)),
        ("log", 1, ROOT, ("two\nlines",)),
    ],
)
def test_checkpoints_that_have_no_text_cannot_be_made(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(origin, size, root, extensions)
