"""Verification: evidence, then an AI assessment, then an inspector's verdict."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import AggregateCreated, BaseAggregate

from domain.enum_field import EnumField, OptionalEnumField
from domain.errors import InvalidTransition, ValidationFailed
from domain.event_base import VeraEvent
from domain.provenance import Provenance
from domain.rules import require_sha256_hex, require_text
from domain.statuses import Verdict, VerificationStage

MAX_EVIDENCE_IMAGES = 20


class Verification(BaseAggregate[UUID]):
    TOPIC = "Verification"
    stage = EnumField(VerificationStage)
    verdict = OptionalEnumField(Verdict)

    class Event(VeraEvent):
        pass

    class Requested(Event, AggregateCreated):
        TOPIC = "VerificationRequested"
        product_id: UUID
        requested_by: str
        image_hashes: list[str]
        notes: str

    class AIAssessmentRecorded(Event):
        TOPIC = "AIAssessmentRecorded"
        authenticity_score: Decimal
        model_name: str
        model_version: str
        model_sha256: str

        def apply(self, verification: Verification) -> None:
            verification.stage = VerificationStage.AWAITING_INSPECTION
            verification.ai_score = self.authenticity_score
            verification.ai_model_name = self.model_name
            verification.ai_model_version = self.model_version

    class InspectionRecorded(Event):
        TOPIC = "InspectionRecorded"
        verdict: str
        inspector_id: str
        notes: str

        def apply(self, verification: Verification) -> None:
            verification.stage = VerificationStage.CONCLUDED
            verification.verdict = Verdict(self.verdict)
            verification.inspector_id = self.inspector_id

    def __init__(
        self, *, product_id: UUID, requested_by: str, image_hashes: list[str], notes: str
    ) -> None:
        self.product_id = product_id
        self.requested_by = requested_by
        self.image_hashes = list(image_hashes)
        self.notes = notes
        self.stage = VerificationStage.AWAITING_AI
        self.ai_score: Decimal | None = None
        self.ai_model_name: str | None = None
        self.ai_model_version: str | None = None
        self.verdict = None
        self.inspector_id: str | None = None

    @classmethod
    def request(
        cls,
        *,
        verification_id: UUID,
        product_id: UUID,
        image_hashes: list[str],
        notes: str,
        prov: Provenance,
    ) -> Verification:
        if not image_hashes:
            raise ValidationFailed("evidence needs at least one image hash", field="imageHashes")
        if len(image_hashes) > MAX_EVIDENCE_IMAGES:
            raise ValidationFailed(
                f"evidence holds at most {MAX_EVIDENCE_IMAGES} images", field="imageHashes"
            )
        hashes = [require_sha256_hex("imageHashes", h) for h in image_hashes]
        if len(set(hashes)) != len(hashes):
            raise ValidationFailed("evidence lists an image twice", field="imageHashes")
        return cls._create(
            cls.Requested,
            id=verification_id,
            product_id=product_id,
            requested_by=prov.actor_id,
            image_hashes=hashes,
            notes=require_text("notes", notes, max_length=2000, allow_empty=True),
            **prov.event_fields(),
        )

    def record_ai_assessment(
        self,
        *,
        authenticity_score: Decimal,
        model_name: str,
        model_version: str,
        model_sha256: str,
        prov: Provenance,
    ) -> None:
        if self.stage != VerificationStage.AWAITING_AI:
            raise InvalidTransition(
                f"an AI assessment was already recorded (stage {self.stage})",
                verification_id=str(self.id),
            )
        if not authenticity_score.is_finite() or not 0 <= authenticity_score <= 1:
            raise ValidationFailed("authenticity score must be within [0, 1]", field="score")
        self.trigger_event(
            self.AIAssessmentRecorded,
            authenticity_score=authenticity_score,
            model_name=require_text("modelName", model_name, max_length=100),
            model_version=require_text("modelVersion", model_version, max_length=100),
            model_sha256=require_sha256_hex("modelSha256", model_sha256),
            **prov.event_fields(),
        )

    def record_inspection(self, *, verdict: Verdict, notes: str, prov: Provenance) -> None:
        if self.stage == VerificationStage.AWAITING_AI:
            raise InvalidTransition(
                "the AI assessment must be recorded before the inspector's verdict",
                verification_id=str(self.id),
            )
        if self.stage == VerificationStage.CONCLUDED:
            raise InvalidTransition(
                "this verification already has a verdict", verification_id=str(self.id)
            )
        self.trigger_event(
            self.InspectionRecorded,
            verdict=verdict.value,
            inspector_id=prov.actor_id,
            notes=require_text("notes", notes, max_length=2000, allow_empty=True),
            **prov.event_fields(),
        )
