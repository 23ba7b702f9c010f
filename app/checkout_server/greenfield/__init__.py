"""BTCPay Server Greenfield API compatibility under /greenfield (docs/greenfield.md).

A BTCPay client (the WooCommerce plugin, ...) set to `https://HOST/greenfield` talks to RedWaves' invoices,
stores and webhooks with BTCPay's field names, statuses, error shapes and webhook signatures.
"""
