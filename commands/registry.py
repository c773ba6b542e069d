"""The explicit command → handler table: one handler per command type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commands import handlers
from commands.messages import (
    CancelAuction,
    CloseAuction,
    Command,
    FlagBid,
    IssueCertificate,
    OpenAuction,
    PlaceBid,
    RecordAIAssessment,
    RecordInspection,
    RegisterProduct,
    RequestVerification,
    RevokeCertificate,
)
from commands.workspace import HandlerContext

Handler = Callable[[Any, HandlerContext], handlers.Outcome]

HANDLERS: dict[type[Command], Handler] = {
    RegisterProduct: handlers.register_product,
    RequestVerification: handlers.request_verification,
    RecordAIAssessment: handlers.record_ai_assessment,
    RecordInspection: handlers.record_inspection,
    IssueCertificate: handlers.issue_certificate,
    RevokeCertificate: handlers.revoke_certificate,
    OpenAuction: handlers.open_auction,
    PlaceBid: handlers.place_bid,
    FlagBid: handlers.flag_bid,
    CloseAuction: handlers.close_auction,
    CancelAuction: handlers.cancel_auction,
}
