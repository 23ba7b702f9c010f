"""The merchant domain: invoices, payments, money, events, errors. Pure: stdlib and app.core only."""
