"""Outbound and exposure networking: exchange rates, tor (stem), TLS, SMTP."""
