"""The SQL read model's tables. They live in one PostgreSQL schema (`read_model`), so a
rebuild can fill a fresh schema and swap it in with two renames."""

from __future__ import annotations

from dataclasses import dataclass

LIVE_SCHEMA = "read_model"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL type), primary key first
    indexes: tuple[str, ...] = ()  # column lists, e.g. "status, ends_at, id"
    # Columns added after the table first shipped: a read model created before them gains
    # them in place (null, or their DEFAULT, until a rebuild or the next event fills them).
    added_columns: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def value_types(self) -> tuple[str, ...]:
        """Each column's type without its constraints ("uuid PRIMARY KEY" -> "uuid")."""
        return tuple(_value_type(kind) for _, kind in self.columns)

    @property
    def has_array_column(self) -> bool:
        return any(kind.endswith("[]") for kind in self.value_types)


_CONSTRAINTS = (" PRIMARY KEY", " NOT NULL", " REFERENCES", " DEFAULT")


def _value_type(kind: str) -> str:
    for constraint in _CONSTRAINTS:
        kind = kind.split(constraint, maxsplit=1)[0]
    return kind.strip()


_ROW_END = (
    ("updated_at", "timestamptz NOT NULL"),
    ("version", "integer NOT NULL"),
    ("position", "bigint NOT NULL"),
)

TABLES: tuple[Table, ...] = (
    Table(
        "products",
        (
            ("id", "uuid PRIMARY KEY"),
            ("sku", "text NOT NULL"),
            ("serial_number", "text NOT NULL"),
            ("name", "text NOT NULL"),
            ("manufacturer", "text NOT NULL"),
            ("owner_id", "text NOT NULL"),
            ("verification_status", "text NOT NULL"),
            ("latest_verification_id", "uuid"),
            ("valid_certificate_id", "uuid"),
            ("open_auction_id", "uuid"),
            ("registered_at", "timestamptz NOT NULL"),
            # ProductRegistered v2: what the manufacturer stated (null: not stated, or v1).
            ("category", "text"),
            ("manufactured_on", "date"),
            *_ROW_END,
        ),
        # products(first, after, verificationStatus, manufacturer): cursor on (registered_at, id)
        (
            "registered_at, id",
            "verification_status, registered_at, id",
            "manufacturer, registered_at, id",
        ),
        added_columns=("category", "manufactured_on"),
    ),
    Table(
        "verifications",
        (
            ("id", "uuid PRIMARY KEY"),
            ("product_id", "uuid NOT NULL"),
            ("requested_by", "text NOT NULL"),
            ("image_hashes", "text[] NOT NULL"),
            ("notes", "text NOT NULL"),
            ("stage", "text NOT NULL"),
            ("ai_score", "numeric"),
            ("ai_model_name", "text"),
            ("ai_model_version", "text"),
            ("ai_model_sha256", "text"),
            ("verdict", "text"),
            ("inspector_id", "text"),
            ("inspection_notes", "text"),
            ("requested_at", "timestamptz NOT NULL"),
            ("concluded_at", "timestamptz"),
            # AIAssessmentRecorded v2; ai_models is the models list as compact JSON text.
            ("ai_quality_grade", "integer"),
            ("ai_ocr_text", "text"),
            ("ai_serial_match", "boolean"),
            ("ai_models", "text"),
            ("ai_input_hashes", "text[]"),
            *_ROW_END,
        ),
        ("product_id, requested_at",),
        added_columns=(
            "ai_quality_grade",
            "ai_ocr_text",
            "ai_serial_match",
            "ai_models",
            "ai_input_hashes",
        ),
    ),
    Table(
        "certificates",
        (
            ("id", "uuid PRIMARY KEY"),
            ("product_id", "uuid NOT NULL"),
            ("verification_id", "uuid NOT NULL"),
            ("sku", "text NOT NULL"),
            ("serial_number", "text NOT NULL"),
            ("manufacturer", "text NOT NULL"),
            ("product_name", "text NOT NULL"),
            ("verdict", "text NOT NULL"),
            ("inspector_id", "text NOT NULL"),
            ("ai_score", "numeric"),
            ("ai_model_name", "text"),
            ("ai_model_version", "text"),
            ("issued_by", "text NOT NULL"),
            ("status", "text NOT NULL"),
            ("issued_at", "timestamptz NOT NULL"),
            ("revoked_at", "timestamptz"),
            ("revoked_by", "text"),
            ("revocation_reason", "text"),
            ("credential", "text"),
            ("credential_sha256", "text"),
            *_ROW_END,
        ),
        ("product_id, issued_at",),
        added_columns=("credential", "credential_sha256"),
    ),
    Table(
        "auctions",
        (
            ("id", "uuid PRIMARY KEY"),
            ("product_id", "uuid NOT NULL"),
            ("seller_id", "text NOT NULL"),
            ("status", "text NOT NULL"),
            ("reserve_price", "numeric(16,2) NOT NULL"),
            ("min_increment", "numeric(16,2) NOT NULL"),
            ("currency", "text NOT NULL"),
            ("starts_at", "timestamptz NOT NULL"),
            ("ends_at", "timestamptz NOT NULL"),
            ("extension_window_seconds", "integer NOT NULL"),
            ("extension_seconds", "integer NOT NULL"),
            ("highest_amount", "numeric(16,2)"),
            ("highest_bidder_id", "text"),
            ("highest_bid_id", "uuid"),
            ("bid_count", "integer NOT NULL"),
            ("winner_id", "text"),
            ("opened_at", "timestamptz NOT NULL"),
            ("closed_at", "timestamptz"),
            # DEFAULT 0: right for every auction whose row predates the column (no flags then)
            ("flagged_bid_count", "integer NOT NULL DEFAULT 0"),
            *_ROW_END,
        ),
        # auctions(status, first, after): cursor on (opened_at, id) within a status
        ("status, opened_at, id", "product_id"),
        added_columns=("flagged_bid_count",),
    ),
    Table(
        "bids",
        (
            ("id", "uuid PRIMARY KEY"),
            ("auction_id", "uuid NOT NULL"),
            ("bidder_id", "text NOT NULL"),
            ("amount", "numeric(16,2) NOT NULL"),
            ("currency", "text NOT NULL"),
            ("placed_at", "timestamptz NOT NULL"),
            ("auction_version", "integer NOT NULL"),
            ("position", "bigint NOT NULL"),
            # BidFlagged (it changes the bid's row; position stays the BidPlaced one). DEFAULT
            # false: right for every bid whose row predates the column (no flags then).
            ("flagged", "boolean NOT NULL DEFAULT false"),
            ("flag_score", "numeric"),
            ("flag_reason", "text"),
        ),
        # Auction.bids(first): highest first
        ("auction_id, amount DESC",),
        added_columns=("flagged", "flag_score", "flag_reason"),
    ),
)

TABLE_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def create_statements(schema: str) -> list[str]:
    """DDL for every table and index in `schema` (idempotent). Names are ours, never input."""
    statements = [f'CREATE SCHEMA IF NOT EXISTS "{schema}"']
    for table in TABLES:
        columns = ", ".join(f"{name} {kind}" for name, kind in table.columns)
        statements.append(f'CREATE TABLE IF NOT EXISTS "{schema}".{table.name} ({columns})')
        statements.extend(_add_column(schema, table, name) for name in table.added_columns)
        for number, index in enumerate(table.indexes):
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {table.name}_ix{number} "
                f'ON "{schema}".{table.name} ({index})'
            )
    return statements


def _add_column(schema: str, table: Table, column: str) -> str:
    """Add the column unless it exists. Looked up first: ALTER TABLE takes an exclusive lock
    even when IF NOT EXISTS makes it a no-op, and every API and worker start runs this."""
    kind = dict(table.columns)[column]
    return (
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns"  # noqa: S608 - our names
        f" WHERE table_schema = '{schema}' AND table_name = '{table.name}'"
        f" AND column_name = '{column}') THEN"
        f' ALTER TABLE "{schema}".{table.name} ADD COLUMN {column} {kind};'
        " END IF; END $$"
    )
