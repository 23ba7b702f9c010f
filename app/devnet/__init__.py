"""A local regtest chain served over the Electrum protocol, for tests and demos.

Independent of Electrum and of the rest of the app: real headers, real signed
transactions, a mempool with BIP125 replacement, and an Electrum-protocol TCP server.
"""

from app.devnet.devnet import Devnet
from app.devnet.errors import DevnetError, NotFound, TxRejected

__all__ = ["Devnet", "DevnetError", "NotFound", "TxRejected"]
