"""config.toml written back from the window: other lines kept, values typed, never half-written;
where each setting came from; the shop's public URL."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app.config import ConfigError, config_file_of, load_settings, overridden_by, parse_public_url
from app.config_file import updated_text, write_config_values

CONFIG = """# my shop
network = "regtest"   # test coins
public_port = 8471

"""


def test_existing_keys_replaced_new_ones_added_comments_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    write_config_values(path, {"public_port": 9000, "public_enabled": True, "tor_cmd": 'C:\\tor "x"\tbin',
                               "public_tls_cert": Path("/c/cert.pem"), "public_tls_key": Path("/c/key.pem")})
    text = path.read_text()
    assert text.startswith("# my shop\nnetwork = \"regtest\"   # test coins\npublic_port = 9000\n")
    data = tomllib.loads(text)
    assert data["public_enabled"] is True and data["tor_cmd"] == 'C:\\tor "x"\tbin'
    assert data["public_tls_cert"] == "/c/cert.pem"
    assert load_settings({}, {"data_dir": tmp_path}, config_path=path).public_port == 9000
    assert not (tmp_path / "config.toml.tmp").exists()


def test_the_redwaves_table_is_used_when_there_is_one_and_none_removes_a_key() -> None:
    text = "[redwaves]\npublic_url = \"https://x.example\"\nnetwork = \"regtest\"\n\n[other]\nk = 1\n"
    new = updated_text(text, {"public_url": None, "tor_enabled": True})
    assert tomllib.loads(new) == {"redwaves": {"network": "regtest", "tor_enabled": True}, "other": {"k": 1}}


def test_a_file_this_writer_cannot_update_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    original = 'public_url = """\nhttps://x.example"""\n'
    path.write_text(original)
    with pytest.raises(ConfigError):
        write_config_values(path, {"public_url": "https://y.example"})
    assert path.read_text() == original


def test_settings_record_where_each_value_came_from(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("public_port = 9000\npublic_host = \"127.0.0.1\"\n")
    s = load_settings({"REDWAVES_PUBLIC_HOST": "0.0.0.0"}, {"data_dir": tmp_path, "public_enabled": True})
    assert s.sources["public_port"] == str(tmp_path / "config.toml")
    assert overridden_by(s, "public_port") is None and overridden_by(s, "tor_enabled") is None
    assert overridden_by(s, "public_host") == "REDWAVES_PUBLIC_HOST" and s.public_host == "0.0.0.0"
    assert overridden_by(s, "public_enabled") == "the command line"
    assert config_file_of(s) == tmp_path / "config.toml"
    assert config_file_of(load_settings({}, {"data_dir": tmp_path / "new"})) == tmp_path / "new" / "config.toml"


@pytest.mark.parametrize(("text", "expected"), [
    ("https://Shop.Example/", "https://shop.example"), ("http://192.168.1.20:8471", "http://192.168.1.20:8471"),
    ("https://shop.example:443", "https://shop.example"), ("", None),
])
def test_public_url_accepts_scheme_host_port_only(text: str, expected: str | None) -> None:
    assert parse_public_url(text) == expected


@pytest.mark.parametrize("text", ["ftp://shop.example", "https://shop.example/pay", "https://user@shop.example",
                                  "https://shop.example?x=1", "https://shop.example#f", "javascript:alert(1)",
                                  "https://shop.example\\@evil", "https://sh op.example", "https://:443"])
def test_public_url_rejects_paths_users_and_other_schemes(text: str) -> None:
    with pytest.raises(ValueError):
        parse_public_url(text)
