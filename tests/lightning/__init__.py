"""End-to-end Lightning: the whole app against a shopper node (Debian Electrum as a separate process)."""
