"""The ai-analysis handler: load the evidence, assess it, record it with RecordAIAssessment.

Idempotent per verification, not only per job: the Verification aggregate accepts one
assessment (a second is InvalidTransition), so a job that finds one recorded, or loses the
race to one while it was scoring, is done, not failed."""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import RecordAIAssessment
from commands.store import EventStore
from domain.errors import InvalidTransition
from domain.product import Product
from domain.statuses import VerificationStage
from domain.verification import Verification
from infra.evidence_store import EvidenceStore
from infra.models.scoring import ImageScorer
from streams.ai_analysis.evidence_assessment import EvidenceAssessment, assess_evidence
from streams.jobs.job import Job

log = logging.getLogger(__name__)

AI_ASSESSOR = Actor.of("ai-assessor", Role.SYSTEM)


class EvidenceMissing(RuntimeError):
    """An evidence image the verification names is not stored (retried: an upload may be
    late; out of attempts, the job's dead letter says which)."""


class AIAssessor:
    def __init__(
        self,
        store: EventStore,
        evidence: EvidenceStore,
        bus: CommandBus,
        scorer: ImageScorer,
        *,
        korean: bool = False,
    ) -> None:
        self.store = store
        self.evidence = evidence
        self.bus = bus
        self.scorer = scorer
        self.korean = korean  # labels also read for Korean (evidence_assessment.py)
        # The run and retry agents of the kind share one OCR engine and model sessions:
        # one assessment at a time per process (scale with processes, as for every model).
        self._lock = asyncio.Lock()

    async def __call__(self, job: Job) -> None:
        verification_id = UUID(str(job.payload["verification_id"]))
        verification = await asyncio.to_thread(self.store.load, verification_id)
        if not isinstance(verification, Verification):
            raise LookupError(f"verification {verification_id} is not in the event store")
        if verification.stage != VerificationStage.AWAITING_AI:
            log.info("verification %s already assessed: job %s done", verification_id, job.job_id)
            return
        product = await asyncio.to_thread(self.store.load, verification.product_id)
        if not isinstance(product, Product):
            raise LookupError(f"product {verification.product_id} is not in the event store")
        images = await self._images(verification_id, verification.image_hashes)
        async with self._lock:
            assessment = await asyncio.to_thread(
                assess_evidence, images, product.serial_number, self.scorer, korean=self.korean
            )
        try:
            await self.bus.dispatch(
                record_command(verification_id, assessment),
                AI_ASSESSOR,
                correlation_id=_uuid(job.payload.get("correlation_id")),
                causation_id=_uuid(job.payload.get("event_id")),
            )
        except InvalidTransition:
            # Recorded meanwhile (by a redelivered twin of this job, or an admin).
            log.info(
                "verification %s was assessed meanwhile: job %s done", verification_id, job.job_id
            )

    async def _images(self, verification_id: UUID, hashes: list[str]) -> list[tuple[str, bytes]]:
        images: list[tuple[str, bytes]] = []
        missing: list[str] = []
        for digest in hashes:
            stored = await self.evidence.content(digest)
            if stored is None:
                missing.append(digest)
            else:
                images.append((digest, stored[1]))
        if missing:
            raise EvidenceMissing(
                f"verification {verification_id}: {len(missing)} of {len(hashes)} evidence "
                f"images are not stored: {', '.join(missing)}"
            )
        return images


def record_command(verification_id: UUID, assessment: EvidenceAssessment) -> RecordAIAssessment:
    authenticity = assessment.models[0]
    return RecordAIAssessment(
        verification_id=verification_id,
        authenticity_score=assessment.authenticity_score,
        model_name=authenticity["name"],
        model_version=authenticity["version"],
        model_sha256=authenticity["sha256"],
        quality_grade=assessment.quality_grade,
        ocr_text=assessment.ocr_text,
        serial_match=assessment.serial_match,
        models=assessment.models,
        input_hashes=assessment.input_hashes,
    )


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None
