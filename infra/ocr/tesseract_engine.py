"""Korean through Debian's tesseract (`tesseract-ocr` + `tesseract-ocr-kor`), run as a
subprocess. When the binary or its Korean data is missing, OcrUnavailable says so."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from infra.ocr.errors import OcrError, OcrUnavailable
from infra.ocr.result import OcrLine, OcrResult

ENGINE = "tesseract"
# English first: with "kor+eng" tesseract read the serial "AB123456" as "43123456" on our
# rendered labels; "eng+kor" reads it right (and the Hangul, with spaces between syllables).
_LANGUAGES = "eng+kor"
# "Sparse text": on 30 rendered, rotated, noisy labels it found 29 serials, against 25 with
# "one uniform block" (6) and 28 with the automatic layout (3), at the same speed.
_PAGE_SEGMENTATION = "11"
_TIMEOUT_S = 30.0
# The TSV's level of a single word; its columns are fixed by tesseract.
_WORD_LEVEL = "5"


def read_png(png: bytes, tesseract_cmd: str, languages: tuple[str, ...]) -> OcrResult:
    binary = _require_korean(tesseract_cmd)
    try:
        completed = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            [binary, "stdin", "stdout", "-l", _LANGUAGES, "--psm", _PAGE_SEGMENTATION, "tsv"],
            input=png,
            capture_output=True,
            timeout=_TIMEOUT_S,
            check=False,
            # One thread, like the ONNX sessions: scale with processes.
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
    except subprocess.TimeoutExpired as e:
        raise OcrError(f"tesseract took longer than {_TIMEOUT_S:.0f} s") from e
    if completed.returncode != 0:
        stderr = completed.stderr.decode(errors="replace").strip()
        raise OcrError(f"tesseract failed (exit {completed.returncode}): {stderr}")
    return OcrResult(
        lines=_lines(completed.stdout.decode()),
        engine=ENGINE,
        engine_version=_version(binary),
        languages=languages,
    )


def engine_identity(tesseract_cmd: str = "tesseract") -> tuple[str, str]:
    """(tesseract's version, one SHA-256 over the traineddata files a Korean read uses), so
    an assessment can record exactly what read its labels; OcrUnavailable when Korean
    cannot be read here."""
    binary = _require_korean(tesseract_cmd)
    return _version(binary), _traineddata_sha256(binary)


def _require_korean(tesseract_cmd: str) -> str:
    binary = shutil.which(tesseract_cmd)
    if binary is None:
        raise OcrUnavailable("ko", f"no tesseract binary at {tesseract_cmd!r}")
    if "kor" not in _installed_languages(binary):
        raise OcrUnavailable("ko", "tesseract has no Korean data (install tesseract-ocr-kor)")
    return binary


@functools.cache
def _installed_languages(binary: str) -> frozenset[str]:
    listed = _run_quietly([binary, "--list-langs"])
    # The first line is a header ("List of available languages in ...").
    return frozenset(line.strip() for line in listed.splitlines()[1:])


@functools.cache
def _traineddata_sha256(binary: str) -> str:
    # The header names the data directory: 'List of available languages in "/usr/...tessdata/" (3):'
    header = _run_quietly([binary, "--list-langs"]).splitlines()[:1]
    quoted = header[0].split('"') if header else []
    if len(quoted) < 3:
        raise OcrUnavailable("ko", f"tesseract did not name its data directory: {header!r}")
    directory = Path(quoted[1])
    digest = hashlib.sha256()
    for language in _LANGUAGES.split("+"):  # name and bytes, in the order tesseract loads them
        path = directory / f"{language}.traineddata"
        try:
            data = path.read_bytes()
        except OSError as e:
            raise OcrUnavailable("ko", f"cannot read {path}: {e}") from e
        digest.update(language.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


@functools.cache
def _version(binary: str) -> str:
    first_line = _run_quietly([binary, "--version"]).splitlines()[:1]
    return first_line[0].removeprefix("tesseract ").strip() if first_line else "unknown"


def _run_quietly(argv: list[str]) -> str:
    try:
        completed = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            argv, capture_output=True, timeout=_TIMEOUT_S, check=False
        )
    except OSError as e:
        raise OcrUnavailable("ko", f"{argv[0]} cannot run: {e}") from e
    # Older tesseract versions print these to stderr.
    return (completed.stdout or completed.stderr).decode(errors="replace")


def _lines(tsv: str) -> tuple[OcrLine, ...]:
    """Words of the TSV grouped into their lines; a line's confidence is its words' mean."""
    words: defaultdict[tuple[str, str, str, str], list[tuple[str, float]]] = defaultdict(list)
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != _WORD_LEVEL or not cells[11].strip():
            continue
        page, block, paragraph, line = cells[1:5]
        words[(page, block, paragraph, line)].append((cells[11].strip(), float(cells[10])))
    return tuple(
        OcrLine(
            text=" ".join(text for text, _ in line_words),
            confidence=sum(conf for _, conf in line_words) / len(line_words) / 100,
        )
        for line_words in words.values()
    )
