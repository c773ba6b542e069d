"""Job queues on Kafka: one topic per kind, a retry topic with backoff, a dead-letter topic."""
