"""Command types, their handlers, the command bus and the event-store application."""
