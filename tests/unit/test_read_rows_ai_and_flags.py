"""Read-model rows of the AI assessment's v2 findings and of flagged bids, from the live
projection's `project` and from the fold (the rebuild's and the check's source)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

from domain.envelope import envelope_of
from domain.event_base import VeraEvent
from projections.fold import ReadModelFold
from projections.read_rows import ChildUpdate, Envelope, Row, project
from tests.support.event_story import product_life_events


def envelopes(events: Sequence[VeraEvent]) -> list[Envelope]:
    # Through JSON, as they arrive from Kafka.
    return [json.loads(json.dumps(envelope_of(e, i + 1))) for i, e in enumerate(events)]


def of_type(history: list[Envelope], name: str) -> list[Envelope]:
    return [envelope for envelope in history if envelope["type"] == name]


def rows_one_at_a_time(history: list[Envelope]) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for envelope in history:
        projected = project(envelope, rows.get(envelope["aggregate_id"]))
        assert projected is not None
        rows[envelope["aggregate_id"]] = projected.row
    return rows


def test_the_verification_row_holds_the_v2_findings() -> None:
    history = envelopes(product_life_events())
    (assessed,) = of_type(history, "AIAssessmentRecorded")

    row = rows_one_at_a_time(history)[assessed["aggregate_id"]]

    data = assessed["data"]
    assert row["ai_quality_grade"] == 4
    assert row["ai_ocr_text"] == "SN-000123"
    assert row["ai_serial_match"] is True
    assert json.loads(row["ai_models"]) == data["models"]
    assert row["ai_models"] == json.dumps(data["models"], sort_keys=True, separators=(",", ":"))
    assert row["ai_input_hashes"] == data["input_hashes"]


def test_a_requested_verification_has_no_findings_yet() -> None:
    history = envelopes(product_life_events())
    (requested,) = of_type(history, "VerificationRequested")

    projected = project(requested, None)

    assert projected is not None
    assert {
        name: projected.row[name]
        for name in ("ai_quality_grade", "ai_ocr_text", "ai_serial_match", "ai_models")
    } == dict.fromkeys(("ai_quality_grade", "ai_ocr_text", "ai_serial_match", "ai_models"))
    assert projected.row["ai_input_hashes"] is None


def test_a_v1_assessment_envelope_projects_with_its_one_model() -> None:
    history = envelopes(product_life_events())
    (requested,) = of_type(history, "VerificationRequested")
    (assessed,) = of_type(history, "AIAssessmentRecorded")
    v2_only = ("quality_grade", "ocr_text", "serial_match", "models", "input_hashes")
    v1 = {
        **assessed,
        "schema_version": 1,
        "data": {k: v for k, v in assessed["data"].items() if k not in v2_only},
    }
    first = project(requested, None)
    assert first is not None

    projected = project(v1, first.row)

    assert projected is not None
    data = assessed["data"]
    assert json.loads(projected.row["ai_models"]) == [
        {
            "name": data["model_name"],
            "version": data["model_version"],
            "sha256": data["model_sha256"],
        }
    ]
    assert projected.row["ai_quality_grade"] is None
    assert projected.row["ai_input_hashes"] == []


def test_a_placed_bid_starts_unflagged() -> None:
    history = envelopes(product_life_events())
    placed = of_type(history, "BidPlaced")[0]
    rows = rows_one_at_a_time(history[: history.index(placed)])

    projected = project(placed, rows[placed["aggregate_id"]])

    assert projected is not None
    ((table, bid),) = projected.children
    assert table == "bids"
    assert (bid["flagged"], bid["flag_score"], bid["flag_reason"]) == (False, None, None)


def test_flagging_changes_the_bid_row_and_counts_on_the_auction() -> None:
    history = envelopes(product_life_events())
    (flagged,) = of_type(history, "BidFlagged")
    rows = rows_one_at_a_time(history[: history.index(flagged)])
    auction_before = rows[flagged["aggregate_id"]]

    projected = project(flagged, auction_before)

    assert projected is not None
    assert projected.children == []
    assert projected.child_updates == [
        ChildUpdate(
            "bids",
            flagged["data"]["bid_id"],
            {
                "flagged": True,
                "flag_score": Decimal("0.81"),
                "flag_reason": "bid rate far above the auction's",
            },
        )
    ]
    assert projected.row["flagged_bid_count"] == auction_before["flagged_bid_count"] + 1 == 1
    assert projected.row["version"] == flagged["aggregate_version"]
    assert projected.row["bid_count"] == auction_before["bid_count"]


def test_a_redelivered_flag_changes_nothing() -> None:
    history = envelopes(product_life_events())
    (flagged,) = of_type(history, "BidFlagged")
    rows = rows_one_at_a_time(history[: history.index(flagged) + 1])

    assert project(flagged, rows[flagged["aggregate_id"]]) is None


def test_the_fold_holds_the_flagged_bid_row() -> None:
    history = envelopes(product_life_events())
    (flagged,) = of_type(history, "BidFlagged")
    fold = ReadModelFold()
    for envelope in history:
        fold.apply(envelope)

    bid = fold.row("bids", flagged["data"]["bid_id"])

    assert bid is not None
    assert (bid["flagged"], bid["flag_score"]) == (True, Decimal("0.81"))
    assert bid["flag_reason"] == "bid rate far above the auction's"
    auction = fold.row("auctions", flagged["aggregate_id"])
    assert auction is not None
    assert auction["flagged_bid_count"] == 1
    unflagged = [b for b in fold.rows("bids").values() if b["id"] != bid["id"]]
    assert all(not b["flagged"] for b in unflagged)
