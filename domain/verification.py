"""Verification: evidence, then an AI assessment, then an inspector's verdict."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

from eventsourcing.domain import AggregateCreated, BaseAggregate

from domain.enum_field import EnumField, OptionalEnumField
from domain.errors import InvalidTransition, ValidationFailed
from domain.event_base import VeraEvent
from domain.provenance import Provenance
from domain.rules import require_sha256_hex, require_text
from domain.statuses import Verdict, VerificationStage

MAX_EVIDENCE_IMAGES = 20
MAX_MODELS = 10
MAX_OCR_TEXT = 4000
QUALITY_GRADES = range(1, 6)


class ModelRef(TypedDict):
    """One model an assessment used, pinned by its file's SHA-256 so a rescore can load
    exactly it again."""

    name: str
    version: str
    sha256: str


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
        """The AI's scores. model_* name the authenticity model; from v2 also the quality
        grade (1..5), the OCR'd label text and whether it shows the registered serial
        number (null: not assessed), every model used, and the evidence hashes scored."""

        TOPIC = "AIAssessmentRecorded"
        class_version = 2
        authenticity_score: Decimal
        model_name: str
        model_version: str
        model_sha256: str
        quality_grade: int | None
        ocr_text: str | None
        serial_match: bool | None
        models: list[ModelRef]
        input_hashes: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # v1 recorded one model, the authenticity model: it is the list's only entry.
            # Plain strings only: this also runs on an envelope's JSON data.
            state["quality_grade"] = None
            state["ocr_text"] = None
            state["serial_match"] = None
            state["models"] = [
                {
                    "name": str(state["model_name"]),
                    "version": str(state["model_version"]),
                    "sha256": str(state["model_sha256"]),
                }
            ]
            state["input_hashes"] = []

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
        quality_grade: int | None = None,
        ocr_text: str | None = None,
        serial_match: bool | None = None,
        models: Sequence[ModelRef] | None = None,
        input_hashes: Sequence[str] = (),
        prov: Provenance,
    ) -> None:
        """Record the AI's scores. `models` defaults to the authenticity model alone; when
        given it must list it. `input_hashes` must be evidence of this verification."""
        if self.stage != VerificationStage.AWAITING_AI:
            raise InvalidTransition(
                f"an AI assessment was already recorded (stage {self.stage})",
                verification_id=str(self.id),
            )
        if not authenticity_score.is_finite() or not 0 <= authenticity_score <= 1:
            raise ValidationFailed("authenticity score must be within [0, 1]", field="score")
        authenticity_model = _model_ref(
            {"name": model_name, "version": model_version, "sha256": model_sha256},
            field_prefix="model",
        )
        used = _models_used(authenticity_model, models)
        if quality_grade is not None and (
            isinstance(quality_grade, bool) or quality_grade not in QUALITY_GRADES
        ):
            raise ValidationFailed(
                "qualityGrade must be an integer from 1 to 5", field="qualityGrade"
            )
        if ocr_text is not None:
            ocr_text = require_text("ocrText", ocr_text, max_length=MAX_OCR_TEXT, allow_empty=True)
        if serial_match is not None and ocr_text is None:
            raise ValidationFailed(
                "serialMatch is the OCR's finding: it needs ocrText", field="serialMatch"
            )
        self.trigger_event(
            self.AIAssessmentRecorded,
            authenticity_score=authenticity_score,
            model_name=authenticity_model["name"],
            model_version=authenticity_model["version"],
            model_sha256=authenticity_model["sha256"],
            quality_grade=quality_grade,
            ocr_text=ocr_text,
            serial_match=serial_match,
            models=used,
            input_hashes=self._scored_evidence(input_hashes),
            **prov.event_fields(),
        )

    def _scored_evidence(self, input_hashes: Sequence[str]) -> list[str]:
        hashes = [require_sha256_hex("inputHashes", h) for h in input_hashes]
        if len(set(hashes)) != len(hashes):
            raise ValidationFailed("inputHashes lists an image twice", field="inputHashes")
        unknown = [h for h in hashes if h not in self.image_hashes]
        if unknown:
            raise ValidationFailed(
                "inputHashes must be evidence of this verification",
                field="inputHashes",
                unknown=unknown,
            )
        return hashes

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


def _model_ref(model: ModelRef, *, field_prefix: str) -> ModelRef:
    """The reference checked and stripped; fields named for the caller (modelName...)."""
    if not isinstance(model, dict) or set(model) != {"name", "version", "sha256"}:
        raise ValidationFailed(
            "each model is exactly {name, version, sha256}", field=f"{field_prefix}s"
        )
    if not all(isinstance(model[key], str) for key in ("name", "version", "sha256")):
        raise ValidationFailed("a model's name, version and sha256 are text", field=field_prefix)
    return {
        "name": require_text(f"{field_prefix}Name", model["name"], max_length=100),
        "version": require_text(f"{field_prefix}Version", model["version"], max_length=100),
        "sha256": require_sha256_hex(f"{field_prefix}Sha256", model["sha256"]),
    }


def _models_used(authenticity: ModelRef, models: Sequence[ModelRef] | None) -> list[ModelRef]:
    """Every model the assessment used; the authenticity model must be one of them."""
    if models is None:
        return [authenticity]
    if len(models) > MAX_MODELS:
        raise ValidationFailed(f"at most {MAX_MODELS} models", field="models")
    used = [_model_ref(model, field_prefix="model") for model in models]
    if len({m["name"] for m in used}) != len(used):
        raise ValidationFailed("models lists a model name twice", field="models")
    if authenticity not in used:
        raise ValidationFailed(
            "models must list the authenticity model (modelName, modelVersion, modelSha256)",
            field="models",
        )
    return used
