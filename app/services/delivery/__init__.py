"""Delivery: the outbox-to-channel pipeline (webhooks, e-mail, notifications), channels and templates."""
