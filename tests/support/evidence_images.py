"""Evidence images the tests make themselves (Pillow), and hand-built hostile files."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def encoded(image_format: str, size: tuple[int, int] = (64, 48), seed: int = 0) -> bytes:
    """A small image in the format (JPEG, PNG, WEBP, GIF...); seed varies its colour, so
    different seeds give different bytes and hashes."""
    colour = (seed * 37 % 256, seed * 91 % 256, seed * 13 % 256)
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, image_format)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header claims width x height: a decompression bomb's
    shape (its data is empty, so anything that tried to decode it would fail or allocate
    width x height pixels first)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )
