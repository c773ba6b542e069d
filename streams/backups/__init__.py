"""The `backup` job kind: scheduled backups of the event store under the data directory."""
