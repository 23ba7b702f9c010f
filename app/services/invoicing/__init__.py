"""Invoicing: invoices, exchange rates, the payment engine, payment history."""
