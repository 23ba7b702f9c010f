"""Import Electrum before RedWaves configures logging.

`electrum.logging` sets the root logger to WARNING when it is first imported; imported after our
handlers were installed, it would silence `logs/redwaves.log`. The composition root imports this
module first, then calls `app.logs.configure_logging`.
"""

import electrum.logging  # noqa: F401  # imported for its side effect on the root logger
