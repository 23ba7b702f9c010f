"""The Qt front end (PySide6 + qasync): window, views, table models, dialogs, kiosk.

qasync picks its Qt binding when it is first imported, and prefers PyQt5 when that is importable
(Debian's ``electrum`` package brings it): the window then hangs. Every qasync import in RedWaves
comes after this package is imported, so this is the one place that says which binding to use.
"""

import os

os.environ["QT_API"] = "pyside6"  # RedWaves runs on PySide6 only
