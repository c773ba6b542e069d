"""The named states of the aggregates (stable strings: they appear in events and the API)."""

from __future__ import annotations

from enum import StrEnum


class VerificationStatus(StrEnum):
    UNVERIFIED = "UNVERIFIED"
    PENDING = "PENDING"
    AUTHENTIC = "AUTHENTIC"
    COUNTERFEIT = "COUNTERFEIT"
    INCONCLUSIVE = "INCONCLUSIVE"


class Verdict(StrEnum):
    AUTHENTIC = "AUTHENTIC"
    COUNTERFEIT = "COUNTERFEIT"
    INCONCLUSIVE = "INCONCLUSIVE"


class VerificationStage(StrEnum):
    AWAITING_AI = "AWAITING_AI"
    AWAITING_INSPECTION = "AWAITING_INSPECTION"
    CONCLUDED = "CONCLUDED"


class AuctionStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


class CertificateStatus(StrEnum):
    VALID = "VALID"
    REVOKED = "REVOKED"
