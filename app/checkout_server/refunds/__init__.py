"""The public refund page: a shopper claims a refund by giving a Bitcoin address (JavaScript not needed)."""
