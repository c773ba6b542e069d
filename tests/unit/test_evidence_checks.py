"""Evidence rules without services: what a file is (api/evidence_image.py), the catalog check
before a verification request (commands/evidence.py), and the two settings."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from api.evidence_image import EvidenceRefused, Refusal, inspect_image, sniff_media_type
from commands.evidence import require_known_evidence
from domain.errors import ValidationFailed
from infra.settings import Settings, SettingsError
from tests.support.evidence_images import encoded, png_declaring


class Catalog:
    def __init__(self, *stored: str) -> None:
        self.stored = set(stored)
        self.asked: list[list[str]] = []

    async def missing(self, hashes: Sequence[str]) -> list[str]:
        self.asked.append(list(hashes))
        return [digest for digest in hashes if digest not in self.stored]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("image_format", "media_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_an_accepted_image_gives_its_type_and_size(image_format: str, media_type: str) -> None:
    facts = inspect_image(encoded(image_format, size=(30, 20)), max_pixels=600)
    assert (facts.media_type, facts.width, facts.height) == (media_type, 30, 20)
    with pytest.raises(EvidenceRefused) as caught:
        inspect_image(encoded(image_format, size=(30, 20)), max_pixels=599)
    assert caught.value.reason is Refusal.TOO_MANY_PIXELS


def test_the_signature_decides_not_the_name() -> None:
    assert sniff_media_type(encoded("GIF")) is None
    assert sniff_media_type(b"RIFF\0\0\0\0WAVEfmt ") is None
    assert sniff_media_type(b"hello.jpg") is None
    with pytest.raises(EvidenceRefused) as caught:
        inspect_image(encoded("BMP"), max_pixels=10**6)
    assert caught.value.reason is Refusal.UNSUPPORTED_MEDIA_TYPE


def test_a_bomb_is_refused_from_its_header() -> None:
    for width, height in [(30_000, 30_000), (5_000, 5_000)]:
        with pytest.raises(EvidenceRefused) as caught:
            inspect_image(png_declaring(width, height), max_pixels=20_000_000)
        assert caught.value.reason is Refusal.TOO_MANY_PIXELS


def test_a_signature_over_garbage_or_a_cut_file_is_corrupt() -> None:
    png = encoded("PNG", size=(200, 100))
    for data in [b"\xff\xd8\xff\xe0" + b"\x13" * 500, png[: len(png) // 2], png_declaring(8, 8)]:
        with pytest.raises(EvidenceRefused) as caught:
            inspect_image(data, max_pixels=10**6)
        assert caught.value.reason is Refusal.CORRUPT_IMAGE


async def test_known_evidence_passes_with_one_lookup() -> None:
    catalog = Catalog(digest("a"), digest("b"))
    await require_known_evidence(catalog, [digest("a"), digest("b")])
    assert catalog.asked == [[digest("a"), digest("b")]]


async def test_an_unknown_hash_is_named() -> None:
    catalog = Catalog(digest("a"))
    with pytest.raises(ValidationFailed) as caught:
        await require_known_evidence(catalog, [digest("a"), digest("z")])
    assert digest("z") in caught.value.message
    assert digest("a") not in caught.value.message
    assert caught.value.details["unknown"] == [digest("z")]


async def test_a_malformed_hash_is_refused_before_any_lookup() -> None:
    catalog = Catalog()
    with pytest.raises(ValidationFailed, match="SHA-256"):
        await require_known_evidence(catalog, [digest("a").upper()])
    assert catalog.asked == []


def test_the_limits_are_settings() -> None:
    settings = Settings.from_env(
        {"VERACHAIN_EVIDENCE_MAX_BYTES": "2048", "VERACHAIN_EVIDENCE_MAX_PIXELS": "4096"}
    )
    assert (settings.evidence_max_bytes, settings.evidence_max_pixels) == (2048, 4096)
    assert Settings.from_env(settings.to_env()).evidence_max_pixels == 4096
    assert Settings.from_env({}).evidence_max_bytes == 10_000_000
    with pytest.raises(SettingsError):
        Settings.from_env({"VERACHAIN_EVIDENCE_MAX_BYTES": "0"})
