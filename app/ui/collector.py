"""Python's cyclic garbage collector runs on the GUI thread only, while the window lives.

Left automatic, a collection runs in whichever thread happens to allocate when a threshold is
crossed: Electrum's network thread, an ``asyncio.to_thread`` worker. If that collection frees a Qt
object (a closed dialog kept alive only by a reference cycle through a lambda or a bound slot), Qt
destroys it off its thread, and a timer or notifier of that widget crashes the process later
(seen as segfaults in the GUI tests). The usual fix in Qt applications (pyqtgraph's
GarbageCollector, Anki): turn automatic collection off and collect from a QTimer on the GUI thread,
with the same generation thresholds. Reference counting still frees acyclic objects at once, in
any thread, as always.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadCollector(QObject):
    def __init__(self, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._was_enabled = gc.isenabled()
        self._thresholds = gc.get_threshold()
        self._refrozen = False

    def start(self) -> None:
        gc.disable()
        gc.freeze()  # what exists now (Electrum's modules, Qt) lives for good: full collections skip it
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.unfreeze()
        if self._was_enabled:
            gc.enable()

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds (what gc would have done)."""
        t0, t1, t2 = self._thresholds
        c0, c1, c2 = gc.get_count()
        if c0 > t0:
            generation = 2 if c2 > t2 else 1 if c1 > t1 else 0
            gc.collect(generation)
            if generation == 2 and not self._refrozen:  # the runtime and the views, built once
                self._refrozen = True
                gc.freeze()

    def collect_now(self) -> int:
        return gc.collect()
