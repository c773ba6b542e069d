"""Publishing events to Kafka: the envelope's JSON Schemas, per event type and version."""
