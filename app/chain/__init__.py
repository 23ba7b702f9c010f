"""The only package that imports Electrum (4.3.4, Debian's copy).

Public surface:

* ``app.chain.keys``: ``parse_wallet_keys``, ``WalletDescriptor``, ``derive_address(es)``, ``set_network``
* ``app.chain.watcher``: ``ChainWatcher``, ``ChainSettings``, ``ChainState``, ``AddressView`` and the
  ``ChainEvent`` types (``AddressesChanged``, ``TipChanged``, ``ConnectionChanged``)
* ``app.chain.errors``: what the watcher raises

Nothing is imported here, so ``import app.chain`` has no side effects. See docs/chain.md.
"""
