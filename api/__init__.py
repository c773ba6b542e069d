"""The GraphQL and WebSocket API (issue #4)."""
