"""What an uploaded evidence file is: its type from its magic bytes (never the client's
Content-Type or file name), its size in pixels from its header, and whether it decodes.

Order matters against decompression bombs: the pixel limit is checked on the header's
width and height (Pillow's `Image.open` reads only the header) before anything is decoded,
so a tiny file declaring 30000x30000 is refused without allocating a pixel. Only an image
within the limit is then decoded once, which proves it is whole (a truncated or corrupt body
would otherwise pass the header check and fail later in the AI assessment), with memory
bounded by the limit."""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, UnidentifiedImageError

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"

# Media type -> the one Pillow plugin allowed to read it: Pillow tries no other format, so
# no other parser (FITS, PSD, ...) ever sees an upload.
_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
_NAME = {JPEG: "JPEG", PNG: "PNG", WEBP: "WebP"}


class Refusal(StrEnum):
    """Why an upload was refused; sent as `error.reason` beside CONTRACT's code."""

    MALFORMED_MULTIPART = "MALFORMED_MULTIPART"
    TOO_LARGE = "TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    CORRUPT_IMAGE = "CORRUPT_IMAGE"


class EvidenceRefused(Exception):
    """The upload is not acceptable evidence; nothing was stored."""

    def __init__(self, reason: Refusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class ImageFacts:
    media_type: str
    width: int
    height: int


def sniff_media_type(data: bytes) -> str | None:
    """The media type the file's signature names, if it is one we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def inspect_image(data: bytes, *, max_pixels: int) -> ImageFacts:
    """The file's facts, or EvidenceRefused. CPU-bound (the decode): call it in a thread."""
    media_type = sniff_media_type(data)
    if media_type is None:
        raise EvidenceRefused(
            Refusal.UNSUPPORTED_MEDIA_TYPE, "the file is not a JPEG, PNG or WebP image"
        )
    try:
        with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[media_type]]) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise _too_many_pixels(width, height, max_pixels)
            if media_type == JPEG:
                # Decode at 1/8 scale (JPEG's DCT scaling): still reads every block, so a
                # truncated or corrupt file fails, with 1/64 of the memory.
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        # Pillow's own guard (2x MAX_IMAGE_PIXELS, checked in Image.open) fires before ours
        # for gigantic headers; the warning is an exception only where warnings are errors.
        raise EvidenceRefused(
            Refusal.TOO_MANY_PIXELS, f"the image declares too many pixels (at most {max_pixels})"
        ) from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        # Pillow reports broken headers as UnidentifiedImageError or SyntaxError and broken
        # data as OSError ("image file is truncated", "broken data stream").
        raise EvidenceRefused(
            Refusal.CORRUPT_IMAGE,
            f"the file has a {_NAME[media_type]} signature but is not a readable "
            f"{_NAME[media_type]} image",
        ) from e
    return ImageFacts(media_type=media_type, width=width, height=height)


def _too_many_pixels(width: int, height: int, max_pixels: int) -> EvidenceRefused:
    return EvidenceRefused(
        Refusal.TOO_MANY_PIXELS,
        f"the image is {width}x{height} = {width * height} pixels; at most {max_pixels}",
    )
