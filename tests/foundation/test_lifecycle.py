import asyncio

import pytest

from app.lifecycle import Lifecycle


class Recorder:
    def __init__(self, name, log, *, fail_start=False, hang_stop=False):
        self.name, self.log, self.fail_start, self.hang_stop = name, log, fail_start, hang_stop

    async def start(self):
        if self.fail_start:
            raise RuntimeError("boom")
        self.log.append(f"start {self.name}")

    async def stop(self):
        if self.hang_stop:
            await asyncio.sleep(3600)
        self.log.append(f"stop {self.name}")


async def test_starts_in_order_stops_in_reverse():
    log = []
    lc = Lifecycle()
    for name in "abc":
        lc.add(name, Recorder(name, log))
    await lc.start()
    await lc.stop()
    assert log == ["start a", "start b", "start c", "stop c", "stop b", "stop a"]


async def test_failed_start_stops_what_started():
    log = []
    lc = Lifecycle()
    lc.add("a", Recorder("a", log))
    lc.add("b", Recorder("b", log, fail_start=True))
    with pytest.raises(RuntimeError):
        await lc.start()
    assert log == ["start a", "stop a"]


async def test_hanging_component_does_not_block_shutdown_past_deadline():
    log = []
    lc = Lifecycle(stop_timeout_s=0.5)
    lc.add("a", Recorder("a", log))
    lc.add("b", Recorder("b", log, hang_stop=True))
    await lc.start()
    loop = asyncio.get_running_loop()
    began = loop.time()
    await lc.stop()
    assert log[-1] == "stop a"
    assert loop.time() - began < 3
