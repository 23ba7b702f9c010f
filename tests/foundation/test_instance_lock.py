import os
import subprocess
import sys

import pytest

from app.instance_lock import AlreadyRunning, InstanceLock


def test_second_lock_is_refused_with_pid(tmp_path):
    first = InstanceLock(tmp_path / "x.lock")
    first.acquire()
    try:
        with pytest.raises(AlreadyRunning) as info:
            InstanceLock(tmp_path / "x.lock").acquire()
        assert info.value.pid == os.getpid()
        assert f"PID {os.getpid()}" in str(info.value)
    finally:
        first.release()
    again = InstanceLock(tmp_path / "x.lock")
    again.acquire()
    again.release()


def test_stale_lock_from_killed_process_is_taken_over(tmp_path):
    path = tmp_path / "x.lock"
    code = ("import sys, os, signal; from app.instance_lock import InstanceLock; "
            f"InstanceLock(__import__('pathlib').Path({str(path)!r})).acquire(); os.kill(os.getpid(), signal.SIGKILL)")
    subprocess.run([sys.executable, "-c", code], check=False, timeout=30)
    assert path.read_text().strip()  # the dead process's PID is still written there
    lock = InstanceLock(path)
    lock.acquire()
    assert path.read_text().strip() == str(os.getpid())
    lock.release()
