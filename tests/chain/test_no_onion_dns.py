"""Without a proxy Electrum must never look an .onion name up through DNS: electrum_config sets
``noonion``, picks a clearnet first server, and the runtime drops .onion entries from Electrum's
recent servers (tried first, before noonion applies). With a proxy the onions stay (tor reaches them)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from electrum import constants

from app.chain.models import ChainSettings
from app.chain.runtime import ElectrumRuntime, electrum_config

ONION = "explorerzydxu5ecjrkwceayqybizmpjjznk5izmitf2modhcusuqlid.onion"


def _seed_recent_servers(datadir: Path) -> None:
    regtest = datadir / "regtest"
    regtest.mkdir(parents=True)
    (regtest / "recent_servers").write_text(json.dumps([f"{ONION}:50001:t", "127.0.0.1:1:t"]))


async def _candidates(runtime: ElectrumRuntime) -> tuple[set[str], list[str], str]:
    network = runtime.running_daemon().network

    def read() -> tuple[set[str], list[str], str]:
        recent = [server.host for server in network._recent_servers]  # what _get_next_server_to_try tries first
        return set(network.get_servers()), recent, network.default_server.host

    return await runtime.call(read)


async def _run(datadir: Path, proxy: str | None) -> tuple[set[str], list[str], str]:
    runtime = ElectrumRuntime(ChainSettings(network="regtest", datadir=datadir, proxy=proxy))
    try:
        await runtime.start_daemon()
        return await _candidates(runtime)
    finally:
        await runtime.stop()


async def test_without_proxy_no_onion_is_a_candidate(tmp_path: Path) -> None:
    _seed_recent_servers(tmp_path / "direct")
    hosts, tried, first = await _run(tmp_path / "direct", None)
    assert hosts and not any(h.endswith(".onion") for h in hosts)
    assert tried == ["127.0.0.1"]
    assert not first.endswith(".onion")
    assert ONION not in (tmp_path / "direct" / "regtest" / "recent_servers").read_text()


async def test_with_a_proxy_onions_stay_candidates(tmp_path: Path) -> None:
    _seed_recent_servers(tmp_path / "tor")
    hosts, recent, _first = await _run(tmp_path / "tor", "socks5:127.0.0.1:9")
    assert ONION in hosts and ONION in recent


def test_first_public_server_is_never_an_onion_without_proxy(tmp_path: Path, monkeypatch) -> None:
    public = constants.BitcoinMainnet.DEFAULT_SERVERS  # the list Electrum ships for mainnet
    assert any(host.endswith(".onion") for host in public)
    monkeypatch.setattr(constants.net, "DEFAULT_SERVERS", public)  # one network per process: regtest here
    for seed in range(30):
        random.seed(seed)
        config = electrum_config(ChainSettings(network="regtest", datadir=tmp_path, proxy=None))
        assert config.get("noonion") is True
        assert not str(config.get("server")).rsplit(":", 2)[0].endswith(".onion")
    tor = electrum_config(ChainSettings(network="regtest", datadir=tmp_path, proxy="socks5:127.0.0.1:9050"))
    assert not tor.get("noonion") and tor.get("server") is None  # through tor Electrum may pick any
