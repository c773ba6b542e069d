"""Is the registered serial number printed on the label? A pure comparison of OCR text with
the registered serial, forgiving what OCR typically confuses but not a different serial."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Letters OCR reads for digits and back (and lowercase l for 1): both sides are folded to the
# digit, so "AB12-3456" on file matches "A812 3456" read. The price is that two serials that
# differ only by such a pair count as the same one, which a human inspector still sees.
_CONFUSIONS = str.maketrans({"O": "0", "I": "1", "L": "1", "S": "5", "B": "8"})
# Runs of Latin letters and digits, with separators inside a serial kept in the token; a colon
# or space ends one, so "SERIAL: AB12-3456" is two tokens. Non-Latin text (CJK, Hangul)
# is never part of a token, so "序列号AB123456" still yields "AB123456".
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-./_][A-Za-z0-9]+)*")
# A serial printed in groups ("AB12 3456 XY") is read as several tokens: join up to this many
# neighbours on the same line.
_MAX_JOINED_TOKENS = 3


@dataclass(frozen=True)
class SerialMatch:
    found: bool  # some candidate equals the serial once both are normalized
    best_candidate: str | None  # the label's text closest to the serial, as read
    distance: int | None  # edit distance of that candidate's normalized form; None: no text


def normalize_serial(text: str) -> str:
    """Upper case, full-width forms folded (NFKC), separators and spaces dropped, confusable
    letters folded to digits."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return re.sub(r"[^A-Z0-9]", "", folded).translate(_CONFUSIONS)


def serial_match(ocr_text: str, registered_serial: str) -> SerialMatch:
    """Compare every token of the label (and runs of neighbouring tokens on one line) with
    the registered serial; the whole candidate must match, so a longer serial that merely
    contains the registered one is not a match."""
    wanted = normalize_serial(registered_serial)
    if not wanted:
        raise ValueError("the registered serial has no letters or digits")
    best: tuple[int, str] | None = None
    for candidate in _candidates(ocr_text):
        distance = _edit_distance(wanted, normalize_serial(candidate))
        if best is None or distance < best[0]:
            best = (distance, candidate)
    if best is None:
        return SerialMatch(found=False, best_candidate=None, distance=None)
    return SerialMatch(found=best[0] == 0, best_candidate=best[1], distance=best[0])


def _candidates(ocr_text: str) -> list[str]:
    candidates: list[str] = []
    for line in unicodedata.normalize("NFKC", ocr_text).splitlines():
        tokens = _TOKEN.findall(line)
        for start in range(len(tokens)):
            for end in range(start + 1, min(start + _MAX_JOINED_TOKENS, len(tokens)) + 1):
                candidates.append(" ".join(tokens[start:end]))
    return candidates


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one row at a time (serials are short)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]
