"""tlog-proof text: the spec's example, round trips, a proof checked end to end the way an
auditor would, and every malformed shape refused."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.checkpoint import DEFAULT_ORIGIN, Checkpoint, parse_checkpoint
from projections.merkle import Frontier, assemble, inclusion_plan, leaf_hash
from projections.merkle_verify import verify_inclusion
from projections.signed_note import open_note, parse_verifier_key, sign_note, verifier_key
from projections.tlog_proof import HEADER, TlogProof, TlogProofError, parse_tlog_proof

# c2sp.org/tlog-proof, the example at the top of the spec (signatures elided there with [...]).
SPEC_EXAMPLE = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
— witness1.example mJirIklj[...]qY9v2B/5bg==
— witness2.example TnKKVHLX[...]xwYwrSjgow==
— witness3.example S4X82uH5[...]3oEcROGLFQ==
"""

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
VERIFIER = parse_verifier_key(verifier_key(DEFAULT_ORIGIN, KEY.public_key()))
HASH = bytes(range(32))
NOTE = sign_note(Checkpoint(DEFAULT_ORIGIN, 5, HASH).body(), DEFAULT_ORIGIN, KEY)


def test_the_spec_example_parses_and_formats_back_to_the_same_text() -> None:
    proof = parse_tlog_proof(SPEC_EXAMPLE)
    assert proof.index == 73894
    assert proof.extra is not None
    assert proof.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert [h.hex()[:8] for h in proof.hashes] == [
        "8122b25e",
        "07de650d",
        "10a373a0",
        "468a2912",
        "0070a2a1",
    ]
    assert proof.checkpoint_note.startswith("example.com/fancylog\n109482\n")
    assert proof.checkpoint_note.endswith("— witness3.example S4X82uH5[...]3oEcROGLFQ==\n")
    assert proof.format() == SPEC_EXAMPLE


@pytest.mark.parametrize("extra", [None, b"", b"\x00\xff context"])
@pytest.mark.parametrize("hashes", [(), (HASH,), (HASH, bytes(32), bytes([255]) * 32)])
def test_proofs_round_trip(extra: bytes | None, hashes: tuple[bytes, ...]) -> None:
    proof = TlogProof(3, hashes, NOTE, extra)
    text = proof.format()
    assert text.startswith(HEADER + "\n")
    assert ("\nextra " in text) is (extra is not None)
    assert text.endswith("\n\n" + NOTE)
    assert parse_tlog_proof(text) == proof


def test_hashes_may_be_given_as_a_list_and_are_kept_as_a_tuple() -> None:
    proof = TlogProof(0, [HASH], NOTE)
    assert proof.hashes == (HASH,)
    assert proof == TlogProof(0, (HASH,), NOTE)


def test_a_proof_checks_out_end_to_end() -> None:
    """What an auditor holding the log's verifier key and the event does with a proof."""
    leaves = [leaf_hash(f"event {i}".encode()) for i in range(11)]
    frontier = Frontier()
    nodes = dict(frontier.extend(leaves))
    note = sign_note(Checkpoint(DEFAULT_ORIGIN, 11, frontier.root()).body(), DEFAULT_ORIGIN, KEY)
    shipped = TlogProof(6, assemble(inclusion_plan(6, 11), nodes), note).format()

    proof = parse_tlog_proof(shipped)
    checkpoint = parse_checkpoint(open_note(proof.checkpoint_note, VERIFIER))
    assert checkpoint.size == 11
    leaf = leaf_hash(b"event 6")
    assert verify_inclusion(leaf, proof.index, checkpoint.size, proof.hashes, checkpoint.root)
    assert not verify_inclusion(
        leaf_hash(b"event 7"), proof.index, checkpoint.size, proof.hashes, checkpoint.root
    )


B64 = base64.b64encode(HASH).decode()
TAB_NOTE = NOTE.replace("/", "\t", 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "starts with"),
        (f"c2sp.org/tlog-proof@v2\nindex 0\n\n{NOTE}", "starts with"),
        (f"{HEADER} \nindex 0\n\n{NOTE}", "starts with"),
        (f"{HEADER}\n", "index line"),
        (f"{HEADER}\n\n{NOTE}", "index line"),
        (f"{HEADER}\n{B64}\nindex 0\n\n{NOTE}", "index line"),
        (f"{HEADER}\nindex 0\nextra AAAA\n\n{NOTE}", "inclusion proof hash"),
        (f"{HEADER}\nextra AAAA\nextra AAAA\nindex 0\n\n{NOTE}", "index line"),
        (f"{HEADER}\nextra\nindex 0\n\n{NOTE}", "index line"),
        (f"{HEADER}\nextra AAA\nindex 0\n\n{NOTE}", "extra data"),
        (f"{HEADER}\nindex  0\n\n{NOTE}", "decimal"),
        (f"{HEADER}\nindex 01\n\n{NOTE}", "leading zeros"),
        (f"{HEADER}\nindex -1\n\n{NOTE}", "decimal"),
        (f"{HEADER}\nindex\n\n{NOTE}", "index line"),
        (f"{HEADER}\nindex {2**63}\n\n{NOTE}", "0..2\\^63-1"),
        (f"{HEADER}\nindex 0\nAAAA\n\n{NOTE}", "32 bytes"),
        (f"{HEADER}\nindex 0\n{B64[:-2]}9=\n\n{NOTE}", "non-canonical"),
        (f"{HEADER}\nindex 0\n{B64}\r\n\n{NOTE}", "inclusion proof hash"),
        (f"{HEADER}\nindex 0\n{B64}", "no empty line"),
        (f"{HEADER}\nindex 0\n{B64}\n", "not a signed note"),
        (f"{HEADER}\nindex 0\n{B64}\n{NOTE}", "inclusion proof hash"),
        (f"{HEADER}\nindex 0\n\n", "not a signed note"),
        (f"{HEADER}\nindex 0\n\n{NOTE[:-1]}", "not a signed note"),
        (f"{HEADER}\nindex 0\n\n\n{NOTE}", "not a signed note"),
        (f"{HEADER}\nindex 0\n\nlog\n1\n{B64}\n", "not a signed note"),
        (f"{HEADER}\nindex 0\n\nlog\n1\n{B64}\n\n", "not a signed note"),
        (f"{HEADER}\nindex 0\n\n{TAB_NOTE}", "not a signed note"),
    ],
)
def test_malformed_proofs_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(TlogProofError, match=reason):
        parse_tlog_proof(text)


@pytest.mark.parametrize(
    ("index", "hashes", "note"),
    [
        (-1, (), NOTE),
        (2**63, (), NOTE),
        (True, (), NOTE),
        (0, (HASH[:31],), NOTE),
        (0, (), ""),
        (0, (), "log\n1\n"),
    ],
)
def test_proofs_that_have_no_text_cannot_be_made(
    index: int, hashes: tuple[bytes, ...], note: str
) -> None:
    with pytest.raises(TlogProofError):
        TlogProof(index, hashes, note)
