"""The `report` job kind: per-auction and per-day reports (CSV and JSON) built from the event
store, written to the data directory and indexed in PostgreSQL."""
