"""Project-wide test set-up.

- Keyring: a plaintext file backend in a temporary HOME, so tests never touch a real keyring.
- Qt: offscreen unless a test starts Xvfb itself.
- `app_runtime`: the whole app (lock, SQLite, Electrum in-process, services, listeners) on regtest
  with an embedded devnet, ports chosen by the OS, for end-to-end tests.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="redwaves-test-home-")
os.environ["HOME"] = _HOME
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, ".local", "share")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, ".config")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["QT_API"] = "pyside6"  # as app/ui/__init__.py: qasync must not pick Debian's PyQt5
for _name in [k for k in os.environ if k.startswith("REDWAVES_")]:
    del os.environ[_name]

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _process_umask():
    """Runtime.start sets the process umask to 077 (app/file_modes.py); put it back after each test so
    a later test's subprocess (packaging, builds) sees the umask it was started with."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)

# BIP84 account (m/84'/1'/0') of the "abandon ... about" test mnemonic, on test networks.
TEST_VPUB = ("vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbB"
             "rf8ZhDYe2jWAqvZVnsc")


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (e.g. the tor RedWaves started)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
async def app_runtime(tmp_path):
    """A started Runtime on regtest with an embedded devnet; stopped (bounded) after the test."""
    async for runtime in started_runtime(tmp_path, public_enabled=True, public_port=0, public_host="127.0.0.1",
                                         daemon_port=0):
        yield runtime


async def started_runtime(tmp_path, **settings_values):
    """A Runtime on regtest + devnet with ports chosen by the OS and ``settings_values`` on top, started;
    stopped when the generator is closed (``async for runtime in started_runtime(...): yield runtime``)."""
    from app.config import load_settings
    from app.runtime import Runtime

    settings = load_settings({}, {"data_dir": tmp_path / "data", "network": "regtest", "devnet": True,
                                  "private_port": 0, **settings_values})
    runtime = Runtime(settings)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


@contextlib.asynccontextmanager
async def runtime_with(tmp_path, **settings_values):
    """``started_runtime`` as a context manager (the same data dir across uses: restarts)."""
    runs = started_runtime(tmp_path, **settings_values)
    runtime = await anext(runs)
    try:
        yield runtime
    finally:
        await runs.aclose()


@contextlib.asynccontextmanager
async def serving_devnet(premine_blocks: int):
    """The project's devnet (a regtest chain behind the real Electrum protocol on 127.0.0.1), stopped after."""
    from app.devnet import Devnet

    net = Devnet(premine_blocks=premine_blocks)
    await net.start()
    try:
        yield net
    finally:
        await net.stop()
