"""The port through which a verification request learns whether its evidence was uploaded.

Evidence images live outside the event store (content-addressed by SHA-256, see
infra/evidence_store.py); commands may not import that adapter, so entry points hand in an
`EvidenceCatalog` and call `require_known_evidence` before dispatching.

Why before the bus and not in the handler: handlers run synchronously, many commands to a
batch on the bus's thread, and one database round trip per command there would stall the
whole batch. The caller (the GraphQL mutation) awaits one query for all of a request's
hashes instead. The format rule (64 lowercase hex digits) stays in the domain, so every
path, the bus included, refuses a malformed hash. Internal drivers of the bus (the demo, the
load scenarios, tests) skip the catalog on purpose: they record made-up hashes and no
client ever sees them; the API, the only door users have, always checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.errors import ValidationFailed
from domain.rules import require_sha256_hex


class EvidenceCatalog(Protocol):
    async def missing(self, hashes: Sequence[str]) -> list[str]:
        """The hashes among `hashes` that name no stored evidence, in their given order."""
        ...


async def require_known_evidence(catalog: EvidenceCatalog, hashes: Sequence[str]) -> None:
    """Refuse (VALIDATION_FAILED) a malformed hash first, then any hash nothing was uploaded
    under, naming it. Other rules (count, duplicates) stay the domain's."""
    for digest in hashes:
        require_sha256_hex("imageHashes", digest)
    unknown = await catalog.missing(hashes) if hashes else []
    if unknown:
        raise ValidationFailed(
            f"no evidence was uploaded with the hash {', '.join(unknown)}; "
            "POST the image to /evidence first",
            field="imageHashes",
            unknown=unknown,
        )
