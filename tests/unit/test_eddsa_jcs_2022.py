"""eddsa-jcs-2022 against the spec: W3C Data Integrity EdDSA Cryptosuites v1.0, appendix
"Representation: eddsa-jcs-2022" (w3c/vc-di-eddsa TestVectors/keyPair.json, unsigned.json and
eddsa-jcs-2022/*), reproduced byte for byte from its key pair; then every way a proof can be
wrong is refused with its own reason."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.credentials.data_integrity import (
    CredentialInvalid,
    add_proof,
    canonical_json,
    hash_data,
    verify_proof,
)
from infra.credentials.multikey import private_key_from_multibase, verification_method

# -- the spec's example ----------------------------------------------------------------------

PUBLIC_KEY_MULTIBASE = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SECRET_KEY_MULTIBASE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
VERIFICATION_METHOD = f"did:key:{PUBLIC_KEY_MULTIBASE}#{PUBLIC_KEY_MULTIBASE}"
CREATED = "2023-02-24T23:36:38Z"
CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2",
]
UNSIGNED: dict[str, Any] = {
    "@context": CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
CANONICAL_DOCUMENT = (
    b'{"@context":["https://www.w3.org/ns/credentials/v2",'
    b'"https://www.w3.org/ns/credentials/examples/v2"],'
    b'"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:abcdefgh"},'
    b'"description":"A minimum viable example of an Alumni Credential.",'
    b'"id":"urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",'
    b'"issuer":"https://vc.example/issuers/5678","name":"Alumni Credential",'
    b'"type":["VerifiableCredential","AlumniCredential"],"validFrom":"2023-01-01T00:00:00Z"}'
)
DOCUMENT_HASH = "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
PROOF_OPTIONS: dict[str, Any] = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": CREATED,
    "verificationMethod": VERIFICATION_METHOD,
    "proofPurpose": "assertionMethod",
    "@context": CONTEXT,
}
CANONICAL_PROOF_CONFIG = (
    b'{"@context":["https://www.w3.org/ns/credentials/v2",'
    b'"https://www.w3.org/ns/credentials/examples/v2"],'
    b'"created":"2023-02-24T23:36:38Z","cryptosuite":"eddsa-jcs-2022",'
    b'"proofPurpose":"assertionMethod","type":"DataIntegrityProof",'
    b'"verificationMethod":"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2'
    b'#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}'
)
PROOF_CONFIG_HASH = "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db"
SIGNATURE_HEX = (
    "407cd12654b33d718ecbb99179a1506daaa849450bf3fc523cce3e1c96f8b803"
    "51da3f253d725c6f00b07c9e5448d50b3ef78012b9ab54255116d069c6dd2808"
)
PROOF_VALUE = (
    "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
)
# signedJCS.json exactly as the spec shows it (two-space indent, no final newline).
SIGNED_TEXT = """{
  "@context": [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2"
  ],
  "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
  "type": [
    "VerifiableCredential",
    "AlumniCredential"
  ],
  "name": "Alumni Credential",
  "description": "A minimum viable example of an Alumni Credential.",
  "issuer": "https://vc.example/issuers/5678",
  "validFrom": "2023-01-01T00:00:00Z",
  "credentialSubject": {
    "id": "did:example:abcdefgh",
    "alumniOf": "The School of Examples"
  },
  "proof": {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": "2023-02-24T23:36:38Z",
    "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
    "proofPurpose": "assertionMethod",
    "@context": [
      "https://www.w3.org/ns/credentials/v2",
      "https://www.w3.org/ns/credentials/examples/v2"
    ],
    "proofValue": "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
  }
}"""  # noqa: E501


def spec_key() -> Ed25519PrivateKey:
    return private_key_from_multibase(SECRET_KEY_MULTIBASE)


def spec_signed() -> dict[str, Any]:
    return add_proof(UNSIGNED, spec_key(), VERIFICATION_METHOD, CREATED)


# -- reproducing it --------------------------------------------------------------------------


def test_the_secret_key_is_the_one_behind_the_verification_method() -> None:
    assert verification_method(spec_key().public_key()) == VERIFICATION_METHOD


def test_the_canonical_document_and_its_hash() -> None:
    assert canonical_json(UNSIGNED) == CANONICAL_DOCUMENT
    assert hashlib.sha256(CANONICAL_DOCUMENT).hexdigest() == DOCUMENT_HASH


def test_the_canonical_proof_configuration_and_its_hash() -> None:
    assert canonical_json(PROOF_OPTIONS) == CANONICAL_PROOF_CONFIG
    assert hashlib.sha256(CANONICAL_PROOF_CONFIG).hexdigest() == PROOF_CONFIG_HASH


def test_the_signed_bytes_are_the_proof_hash_then_the_document_hash() -> None:
    assert hash_data(UNSIGNED, PROOF_OPTIONS).hex() == PROOF_CONFIG_HASH + DOCUMENT_HASH


def test_the_signature_and_its_base58btc_form() -> None:
    signature = spec_key().sign(hash_data(UNSIGNED, PROOF_OPTIONS))
    assert signature.hex() == SIGNATURE_HEX
    assert "z" + base58.b58encode(signature).decode() == PROOF_VALUE


def test_add_proof_gives_the_spec_signed_credential_byte_for_byte() -> None:
    signed = spec_signed()
    assert signed == json.loads(SIGNED_TEXT)
    assert json.dumps(signed, indent=2) == SIGNED_TEXT  # same member order too


def test_add_proof_leaves_its_input_alone() -> None:
    before = copy.deepcopy(UNSIGNED)
    signed = spec_signed()
    signed["@context"].append("https://example.org/mutated")
    assert before == UNSIGNED


def test_the_spec_signed_credential_verifies() -> None:
    verify_proof(json.loads(SIGNED_TEXT))


# -- tampering -------------------------------------------------------------------------------

Tamper = Callable[[dict[str, Any]], None]


def other_key_method() -> str:
    return verification_method(Ed25519PrivateKey.from_private_bytes(b"\x01" * 32).public_key())


def set_proof(field: str, value: object) -> Tamper:
    def tamper(document: dict[str, Any]) -> None:
        document["proof"][field] = value

    return tamper


def change_proof_value(edit: Callable[[str], str]) -> Tamper:
    def tamper(document: dict[str, Any]) -> None:
        document["proof"]["proofValue"] = edit(document["proof"]["proofValue"])

    return tamper


def change_subject(document: dict[str, Any]) -> None:
    document["credentialSubject"]["alumniOf"] = "The School of Forgeries"


def flip_signature_bit(value: str) -> str:
    signature = bytearray(base58.b58decode(value[1:]))
    signature[10] ^= 0x01
    return "z" + base58.b58encode(bytes(signature)).decode()


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (change_subject, "signature does not verify"),
        (set_proof("created", "2023-02-24T23:36:39Z"), "signature does not verify"),
        (set_proof("verificationMethod", other_key_method()), "signature does not verify"),
        (change_proof_value(flip_signature_bit), "signature does not verify"),
        (change_proof_value(lambda v: v[:-2]), "malformed proofValue: 63 bytes"),
        (change_proof_value(lambda v: v[1:]), "malformed proofValue: not multibase"),
        (change_proof_value(lambda v: v[:5] + "0" + v[6:]), "malformed proofValue: not valid"),
        (set_proof("proofValue", None), "malformed proofValue"),
        (set_proof("type", "Ed25519Signature2020"), "proof type is 'Ed25519Signature2020'"),
        (set_proof("cryptosuite", "eddsa-rdfc-2022"), "cryptosuite is 'eddsa-rdfc-2022'"),
        (set_proof("proofPurpose", "authentication"), "proof purpose is 'authentication'"),
        (set_proof("created", "yesterday"), "not a dateTimeStamp"),
        (set_proof("created", "2023-13-24T23:36:38Z"), "not a dateTimeStamp"),
        (set_proof("verificationMethod", "https://vc.example/issuers/5678#key-0"), "did:key"),
        (
            set_proof("verificationMethod", f"did:key:{PUBLIC_KEY_MULTIBASE}#key-0"),
            "fragment is not the key",
        ),
        (lambda d: d["proof"].pop("proofValue"), "proof has no proofValue"),
        (lambda d: d["proof"].pop("cryptosuite"), "proof has no cryptosuite"),
        (lambda d: d.pop("proof"), "credential has no proof"),
        (lambda d: d.update(proof=[d["proof"]]), "proof sets are not supported"),
        (lambda d: d["@context"].pop(), "does not start with the proof's"),
        (lambda d: d["@context"].reverse(), "does not start with the proof's"),
        (lambda d: d.update(issuer=f"did:key:{PUBLIC_KEY_MULTIBASE}0"), "did not sign"),
    ],
)
def test_a_tampered_credential_is_refused_with_its_reason(tamper: Tamper, reason: str) -> None:
    document = json.loads(SIGNED_TEXT)
    tamper(document)

    with pytest.raises(CredentialInvalid) as refused:
        verify_proof(document)

    assert reason in refused.value.reason
    assert "\n" not in refused.value.reason


def test_a_context_appended_after_signing_still_verifies() -> None:
    """Verify Proof step 4: the document's @context must start with the signed one; what
    follows (a later proof's context in a chain) is not covered by this proof."""
    document = json.loads(SIGNED_TEXT)
    document["@context"].append("https://w3id.org/security/data-integrity/v2")

    verify_proof(document)


def test_an_expected_issuer_must_be_the_issuer_and_the_signer() -> None:
    issuer = f"did:key:{PUBLIC_KEY_MULTIBASE}"
    by_did = add_proof({**UNSIGNED, "issuer": issuer}, spec_key(), VERIFICATION_METHOD, CREATED)
    verify_proof(by_did, expected_issuer=issuer)

    with pytest.raises(CredentialInvalid, match=r"issuer is 'did:key:z6Mk.*', not the expected"):
        verify_proof(by_did, expected_issuer=other_key_method().partition("#")[0])
    # The spec's issuer is a URL: no did:key can be that issuer.
    with pytest.raises(CredentialInvalid, match=r"signed by did:key:z6Mk.*, not the expected"):
        verify_proof(json.loads(SIGNED_TEXT), expected_issuer="https://vc.example/issuers/5678")


def test_a_document_that_is_not_json_cannot_verify() -> None:
    document = json.loads(SIGNED_TEXT)
    document["credentialSubject"]["alumniOf"] = 2**60  # beyond JCS's (I-JSON) integers

    with pytest.raises(CredentialInvalid, match="canonicalizable"):
        verify_proof(document)


# -- signing refuses what could never verify ------------------------------------------------


def test_add_proof_refuses_a_verification_method_of_another_key() -> None:
    with pytest.raises(ValueError, match="not the verification method of this key"):
        add_proof(UNSIGNED, spec_key(), other_key_method(), CREATED)


def test_add_proof_refuses_a_document_that_already_has_a_proof() -> None:
    with pytest.raises(ValueError, match="already has a proof"):
        add_proof(spec_signed(), spec_key(), VERIFICATION_METHOD, CREATED)


def test_add_proof_refuses_a_created_without_time_zone() -> None:
    with pytest.raises(ValueError, match="dateTimeStamp"):
        add_proof(UNSIGNED, spec_key(), VERIFICATION_METHOD, "2023-02-24T23:36:38")
