import configparser
import xml.etree.ElementTree as ET
from pathlib import Path

from app.desktop_install import RESOURCES, install_desktop


def test_desktop_entry_and_metainfo_are_valid():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(RESOURCES / "redwaves.desktop")
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application" and main["Exec"].startswith("redwaves") and main["Icon"] == "redwaves"
    root = ET.parse(RESOURCES / "org.redwaves.RedWaves.metainfo.xml").getroot()
    assert root.find("id").text == "org.redwaves.RedWaves"
    assert root.find("launchable").text == "redwaves.desktop"


def test_install_desktop_puts_files_in_xdg_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert install_desktop(tmp_path) == 0
    assert (tmp_path / "applications" / "redwaves.desktop").exists()
    assert (tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "redwaves.svg").exists()
    assert (tmp_path / "metainfo" / "org.redwaves.RedWaves.metainfo.xml").exists()
    assert Path(RESOURCES / "redwaves.svg").read_text().lstrip().startswith("<")
