"""VeraChain's domain model: aggregates, events, value rules and errors. Pure: no I/O."""
