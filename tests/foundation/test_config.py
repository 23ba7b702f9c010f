from pathlib import Path

import pytest

from app.config import ConfigError, load_settings


def test_defaults_use_platformdirs_and_mainnet(monkeypatch, tmp_path):
    monkeypatch.setattr("app.config.default_data_dir", lambda: tmp_path / "platform")
    settings = load_settings({})
    assert settings.network == "mainnet"
    assert settings.data_dir == tmp_path / "platform"
    assert settings.db_path == tmp_path / "platform" / "mainnet" / "redwaves.sqlite3"


def test_precedence_file_env_cli(tmp_path):
    (tmp_path / "config.toml").write_text('[redwaves]\nnetwork = "testnet"\nprivate_port = 9000\nlog_level = "debug"\n')
    env = {"REDWAVES_DATA_DIR": str(tmp_path), "REDWAVES_PRIVATE_PORT": "9100"}
    settings = load_settings(env, {"private_port": 9200})
    assert settings.network == "testnet"  # from file
    assert settings.log_level == "debug"  # from file
    assert settings.private_port == 9200  # CLI beats env beats file
    assert load_settings(env).private_port == 9100


def test_per_network_directories_never_mix(tmp_path):
    main = load_settings({}, {"data_dir": tmp_path, "network": "mainnet"})
    test = load_settings({}, {"data_dir": tmp_path, "network": "testnet"})
    assert main.db_path.parent != test.db_path.parent
    assert main.electrum_dir != test.electrum_dir and main.log_dir != test.log_dir


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"REDWAVES_PRIVATE_PORT": "eighty"}, "private_port"),
        ({"REDWAVES_PRIVATE_PORT": "70000"}, "private_port"),
        ({"REDWAVES_NETWORK": "litecoin"}, "network"),
        ({"REDWAVES_PUBLIC_ENABLED": "maybe"}, "public_enabled"),
        ({"REDWAVES_ELECTRUM_SERVER": "example.org"}, "electrum_server"),
        ({"REDWAVES_DEVNET": "true"}, "devnet"),  # devnet needs regtest
    ],
)
def test_invalid_values_name_the_key(tmp_path, env, key):
    with pytest.raises(ConfigError) as info:
        load_settings({"REDWAVES_DATA_DIR": str(tmp_path), **env})
    message = str(info.value)
    assert f"'{key}'" in message and "\n" not in message


def test_unknown_key_in_file_is_an_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("prviate_port = 1\n")
    with pytest.raises(ConfigError, match="prviate_port"):
        load_settings({}, {"data_dir": tmp_path}, config_path=path)


def test_broken_toml_and_missing_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("network = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({}, {"data_dir": tmp_path}, config_path=path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({}, {"data_dir": tmp_path}, config_path=Path(tmp_path / "nope.toml"))


def test_comma_lists_are_parsed_once_into_tuples(tmp_path):
    env = {"REDWAVES_DATA_DIR": str(tmp_path), "REDWAVES_RATE_PROVIDERS": " kraken, ,coingecko ",
           "REDWAVES_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}
    settings = load_settings(env)
    assert settings.rate_providers == ("kraken", "coingecko")
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    defaults = load_settings({}, {"data_dir": tmp_path})
    assert defaults.rate_providers == ("coingecko", "kraken", "bitstamp") and defaults.trusted_proxies == ()
    (tmp_path / "config.toml").write_text('trusted_proxies = ["::1", "192.168.1.0/24"]\n')
    assert load_settings({}, {"data_dir": tmp_path}).trusted_proxies == ("::1", "192.168.1.0/24")
    with pytest.raises(ConfigError, match="'rate_providers'"):
        load_settings({**env, "REDWAVES_RATE_PROVIDERS": "kraken,nosuch"})


def test_the_readme_lists_every_setting():
    from pathlib import Path

    from app.config import setting_names

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert [name for name in setting_names() if f"| `{name}` |" not in readme] == []


def test_tor_only_needs_no_onion_service(tmp_path):
    """Tor-only mode launches tor for outbound traffic alone: the onion service may stay off."""
    from app.services.chain_route import resolve_settings

    settings = load_settings({}, {"data_dir": tmp_path, "tor_only": True, "electrum_server": "electrum.example:50002:s"})
    assert settings.tor_only and not settings.tor_enabled and settings.tor_mode == "launch"
    route = resolve_settings(settings, devnet_server=None)
    assert route.via_tor  # so the runtime starts tor for Electrum and every other outbound client
