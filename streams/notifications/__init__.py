"""The `notification` job kind: events become e-mails, sent through an outbox over SMTP."""
