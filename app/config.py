"""One typed Settings object: defaults < TOML config file < REDWAVES_* environment < CLI flags.

Nothing happens at import time; `load_settings()` is called once by the composition root and the
result is passed down. Invalid values raise ConfigError naming the key (the CLI exits with code 2).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

NETWORKS = ("mainnet", "testnet", "signet", "regtest")
ENV_PREFIX = "REDWAVES_"
APP_NAME = "redwaves"

T = TypeVar("T")


class ConfigError(Exception):
    """A setting has an invalid value; str() is a one-line message naming the key."""

    def __init__(self, key: str, message: str, source: str = "") -> None:
        self.key = key
        where = f" (from {source})" if source else ""
        super().__init__(f"invalid setting '{key}'{where}: {message}")


def _to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _to_int(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.lstrip("-").isdigit():
        raise ValueError("expected an integer")
    return int(text)


def _depth(value: object) -> int:
    depth = _to_int(value)
    if not 1 <= depth <= 100:
        raise ValueError("expected a number of confirmations 1-100")
    return depth


def _port(value: object) -> int:
    port = _to_int(value)
    if not 0 <= port <= 65535:
        raise ValueError("expected a port number 0-65535")
    return port


def _host(value: object) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("expected a host name or IP address")
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if not all(part.replace("-", "").isalnum() for part in text.split(".")):
            raise ValueError("expected a host name or IP address") from None
    return text


def _choice(*options: str) -> Callable[[object], str]:
    def convert(value: object) -> str:
        text = str(value).strip().lower()
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return text

    return convert


def _optional_str(value: object) -> str | None:
    text = str(value).strip()
    return text or None


def _server(value: object) -> str | None:
    text = _optional_str(value)
    if text is None:
        return None
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or parts[2] not in {"t", "s"} or not parts[1].isdigit():
        raise ValueError("expected host:port:t (TCP) or host:port:s (TLS)")
    return text


def _listen(value: object) -> str:
    """'' (do not listen) or host:port (an IPv6 host in brackets), e.g. 0.0.0.0:9735."""
    text = str(value).strip()
    if not text:
        return ""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("expected host:port, e.g. 0.0.0.0:9735 (empty = do not listen)")
    _host(host[1:-1] if host.startswith("[") and host.endswith("]") else host)
    return text


def _route(value: object) -> str | None:
    text = _optional_str(value)
    return None if text is None else _choice("own", "tor", "direct")(text)


def _proxy(value: object) -> str | None:
    text = _optional_str(value)
    if text is None:
        return None
    parts = text.split(":")
    if len(parts) != 3 or parts[0] != "socks5" or not parts[2].isdigit():
        raise ValueError("expected socks5:host:port (SOCKS5: names are resolved by the proxy)")
    return text


def parse_public_url(value: object) -> str | None:
    """The shop's public URL: http(s)://host[:port] with nothing after it (no path, query, user); '' = none."""
    from urllib.parse import urlsplit

    text = str(value).strip().rstrip("/")
    if not text:
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError("expected a URL like https://shop.example or http://192.168.1.20:8471") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected a URL starting with http:// or https:// and a host name")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("a user name or password does not belong in the shop's URL")
    if parts.path or parts.query or parts.fragment or "\\" in text or any(c.isspace() for c in text):
        raise ValueError("give only scheme, host and port (checkout links add their own path)")
    _host(parts.hostname)
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname.lower()
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def _path(value: object) -> Path:
    return Path(str(value)).expanduser()


def _optional_path(value: object) -> Path | None:
    text = str(value).strip()
    return Path(text).expanduser() if text else None


def _comma_list(value: object) -> tuple[str, ...]:
    """'a, b,,c' (or a TOML array) -> ('a', 'b', 'c'): every comma list is parsed here, once."""
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return tuple(text for item in items if (text := str(item).strip()))


def _origins(value: object) -> tuple[str, ...]:
    """CORS allow-list: web origins (scheme://host[:port]), normalised like public_url."""
    return tuple(origin for item in _comma_list(value) if (origin := parse_public_url(item)))


def _setting(default: T, convert: Callable[[object], T], help_text: str) -> T:
    """A field whose metadata carries its converter (raw TOML / environment / CLI value -> T) and help."""
    return field(default=default, metadata={"convert": convert, "help": help_text})


@dataclass(frozen=True)
class Settings:
    """Every setting RedWaves reads. Field metadata carries the converter and a help text."""

    network: str = _setting("mainnet", _choice(*NETWORKS), "Bitcoin network")
    data_dir: Path = _setting(Path("."), _path, "base data directory (one subdirectory per network)")
    log_level: str = _setting("info", _choice("debug", "info", "warning", "error"), "console log level")
    private_host: str = _setting("127.0.0.1", _host, "private listener (API, admin) address")
    private_port: int = _setting(8470, _port, "private listener port (0 = any free port)")
    public_enabled: bool = _setting(False, _to_bool, "serve shopper pages on the public listener")
    public_host: str = _setting("0.0.0.0", _host, "public (LAN) listener address")
    public_port: int = _setting(8471, _port, "public listener port (0 = any free port)")
    public_url: str | None = _setting(None, parse_public_url, "the shop's public URL (https://shop.example): "
                                                              "checkout links, receipts, Greenfield checkoutLink")
    electrum_server: str | None = _setting(None, _server, "Electrum server host:port:t|s (empty = auto)")
    electrum_oneserver: bool = _setting(False, _to_bool, "connect to electrum_server only")
    electrum_proxy: str | None = _setting(None, _proxy, "SOCKS5 proxy for every outbound connection (Electrum, "
                                                        "rates, e-mail, webhooks), socks5:host:port")
    electrum_route: str | None = _setting(None, _route, "which Electrum server learns the shop's addresses: own "
                                                        "(electrum_server), tor (public servers over Tor), direct "
                                                        "(public servers directly); empty = not chosen "
                                                        "(docs/chain.md)")
    devnet: bool = _setting(False, _to_bool, "run an embedded devnet chain (regtest only)")
    rate_providers: tuple[str, ...] = _setting(("coingecko", "kraken", "bitstamp"), _comma_list,
                                               "exchange-rate providers tried in order by the 'auto' source")
    rate_max_age_s: int = _setting(300, _to_int, "how long a fetched exchange rate may be used (seconds)")
    rates_url: str | None = _setting(
        None, _optional_str, "exchange-rate URL answering like CoinGecko's simple/price (source name 'http')")
    gui_minimize_to_tray: bool = _setting(True, _to_bool, "closing the window keeps serving from the tray")
    tor_enabled: bool = _setting(False, _to_bool, "serve the public listener as a Tor onion service")
    tor_mode: str = _setting("launch", _choice("launch", "attach"), "launch our own tor, or attach to a running one")
    tor_cmd: str = _setting("tor", str, "the tor binary (launch mode)")
    tor_control: str = _setting("127.0.0.1:9051", str, "control port of an existing tor (attach mode)")
    tor_socks: str | None = _setting(None, _optional_str, "SOCKS address of an existing tor (attach mode)")
    tor_onion_port: int = _setting(80, _port, "port shoppers use on the .onion address")
    tor_disable_network: bool = _setting(False, _to_bool, "start tor with DisableNetwork 1 (offline demos, tests)")
    tor_only: bool = _setting(False, _to_bool, "every outbound connection goes through tor, none direct")
    public_tls: bool = _setting(False, _to_bool, "HTTPS on the public listener")
    public_tls_cert: Path | None = _setting(None, _optional_path, "certificate (PEM); empty = self-signed")
    public_tls_key: Path | None = _setting(None, _optional_path, "private key (PEM) for public_tls_cert")
    trusted_proxies: tuple[str, ...] = _setting((), _comma_list, "comma list of reverse-proxy addresses/networks "
                                                                 "whose X-Forwarded-For/Proto are honoured")
    backup_dir: Path | None = _setting(None, _optional_path, "directory for scheduled encrypted backups (empty = off)")
    backup_keep: int = _setting(7, _to_int, "how many scheduled backups to keep")
    backup_interval_s: int = _setting(86400, _to_int, "seconds between scheduled backups")
    min_free_mb: int = _setting(100, _to_int, "refuse to start with less free space (MB) in the data directory")
    health_grace_s: int = _setting(30, _to_int, "seconds the chain may be offline/unsynced before /health says degraded")
    closed_check_per_hour: int = _setting(600, _to_int, "server requests an hour for checking closed invoices' "
                                                        "addresses for late payments (0 = off)")
    closed_check_interval_s: int = _setting(60, _to_int, "seconds between batches of the closed-invoice check")
    payout_settled_confirmations: int = _setting(6, _depth, "confirmations after which a payout is final "
                                                           "(confirmed, its refund paid); before: broadcast")
    lightning_listen: str = _setting("", _listen, "host:port the Lightning node accepts peers on (empty = do "
                                                  "not listen; peers are then reached by the node only)")
    lightning_gossip: bool = _setting(False, _to_bool, "Lightning routing by gossip (false = trampoline and "
                                                       "direct peers)")
    lightning_allow_incoming: bool = _setting(True, _to_bool, "peers may open channels to the shop (Electrum's "
                                                              "recoverable channels off)")
    daemon_enabled: bool = _setting(True, _to_bool, "serve the Bitcart-compatible daemon JSON-RPC on 127.0.0.1")
    daemon_port: int = _setting(5000, _port, "daemon JSON-RPC port (0 = any free port)")
    cors_origins: tuple[str, ...] = _setting((), _origins, "comma list of web origins (https://app.example) whose "
                                                           "pages may call the private API from a browser")
    # where each value came from (not settings themselves): key -> config file path, REDWAVES_X or "command line"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    config_file: Path | None = field(default=None, compare=False)  # the file load_settings read (or would read)

    @property
    def network_dir(self) -> Path:
        """Data for one network: test-net data can never mix with mainnet data."""
        return self.data_dir / self.network

    @property
    def db_path(self) -> Path:
        return self.network_dir / "redwaves.sqlite3"

    @property
    def log_dir(self) -> Path:
        return self.network_dir / "logs"

    @property
    def electrum_dir(self) -> Path:
        return self.network_dir / "electrum"

    @property
    def lock_path(self) -> Path:
        return self.network_dir / "redwaves.lock"


def _setting_fields() -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(Settings) if "convert" in f.metadata}


def setting_names() -> list[str]:
    return list(_setting_fields())


def convert_setting(key: str, value: object) -> Any:
    """One value as load_settings would convert it (a value typed in the window); ConfigError if invalid."""
    return _convert_all({key: value}, "")[key]


def overridden_by(settings: Settings, key: str) -> str | None:
    """"REDWAVES_X" or "the command line" when that overrides ``key`` over config.toml; else None."""
    source = settings.sources.get(key)
    if source is None or source.startswith(ENV_PREFIX):
        return source
    return "the command line" if source == "command line" else None


def config_file_of(settings: Settings) -> Path:
    """The config file changes made in the window are written to."""
    return settings.config_file or default_config_path(settings.data_dir)


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_path(data_dir: Path) -> Path:
    return data_dir / "config.toml"


def _convert_all(raw: Mapping[str, object], source: str) -> dict[str, object]:
    fields = _setting_fields()
    out: dict[str, object] = {}
    for key, value in raw.items():
        if key not in fields:
            raise ConfigError(key, "unknown setting", source)
        try:
            out[key] = fields[key].metadata["convert"](value)
        except ValueError as exc:
            raise ConfigError(key, f"{exc} (got {value!r})", source) from None
    return out


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError("config", f"cannot read {path}: {exc.strerror}") from None
    section = data.get("redwaves", data)
    if not isinstance(section, dict):
        raise ConfigError("config", f"{path}: [redwaves] must be a table")
    return section


def _from_env(environ: Mapping[str, str]) -> dict[str, str]:
    names = set(setting_names())
    found: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX) :].lower()
            if name in names:
                found[name] = value
    return found


def load_settings(
    environ: Mapping[str, str],
    cli: Mapping[str, object] | None = None,
    *,
    config_path: Path | None = None,
) -> Settings:
    """Build Settings with precedence defaults < config file < environment < CLI.

    `cli` holds only the flags the user actually gave. The data directory is resolved first (it
    locates the default config file): CLI > REDWAVES_DATA_DIR > platformdirs.
    """
    cli = {k: v for k, v in (cli or {}).items() if v is not None}
    env = _from_env(environ)
    env.pop("config", None)
    data_dir_raw = cli.get("data_dir") or env.get("data_dir")
    data_dir = _path(data_dir_raw) if data_dir_raw else default_data_dir()

    path = config_path or _optional_path(environ.get(ENV_PREFIX + "CONFIG", ""))
    file_values: dict[str, object] = {}
    if path is not None:
        if not path.exists():
            raise ConfigError("config", f"config file {path} does not exist")
        file_values = _read_toml(path)
    elif default_config_path(data_dir).exists():
        path = default_config_path(data_dir)
        file_values = _read_toml(path)

    merged: dict[str, Any] = {"data_dir": data_dir}  # Any: each value went through its field's converter
    merged.update(_convert_all({k: v for k, v in file_values.items() if k != "data_dir"}, str(path)))
    merged.update(_convert_all(env, "environment"))
    merged.update(_convert_all(cli, "command line"))
    merged["data_dir"] = data_dir
    sources = {key: str(path) for key in file_values} | {key: ENV_PREFIX + key.upper() for key in env}
    sources |= {key: "command line" for key in cli}
    settings = Settings(**merged, sources=sources, config_file=path or default_config_path(data_dir))
    _check_consistency(settings)
    return settings


def _check_consistency(settings: Settings) -> None:
    if settings.devnet and settings.network != "regtest":
        raise ConfigError("devnet", "the embedded devnet exists only with --network regtest")
    from app.net.rate_providers import PROVIDERS

    unknown = [p for p in settings.rate_providers if p not in PROVIDERS]
    if unknown:
        raise ConfigError("rate_providers", f"unknown provider {unknown[0]!r}; known: {', '.join(sorted(PROVIDERS))}")
    if settings.electrum_route == "own" and not settings.electrum_server and not settings.devnet:
        raise ConfigError("electrum_server", "electrum_route = \"own\" needs electrum_server (host:port:t|s)")
    if bool(settings.public_tls_cert) != bool(settings.public_tls_key):
        raise ConfigError("public_tls_key", "give both public_tls_cert and public_tls_key, or neither")
    if settings.backup_keep < 1 or settings.backup_interval_s < 60:
        raise ConfigError("backup_keep", "keep at least 1 backup, at most one every 60 s")
    if settings.min_free_mb < 0 or settings.health_grace_s < 0:
        raise ConfigError("min_free_mb" if settings.min_free_mb < 0 else "health_grace_s", "expected 0 or more")
    if not 1 <= settings.rate_max_age_s <= 86400:
        raise ConfigError("rate_max_age_s", "expected 1 to 86400 seconds")
