"""The Bitcart (Electrum daemon) adapters served by app.checkout_server.daemon."""
