"""The production units under deploy/systemd pass `systemd-analyze verify` (which
prints, and we refuse, any unknown key or bad value) and carry what issue 13 asks of
them: restarted always, hardened, state under StateDirectory, keys from a file."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from testkit.citywall import ROOT, citywall_command

UNITS = ROOT / "deploy" / "systemd"
PARTS = ("web", "relay", "aggregator")
INSTALLED = "/opt/citywall/venv/bin/citywall"


def _verify(directory: Path) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (scripts/bootstrap.sh installs systemd)"
    names = [f"citywall-{part}@xiangyin.service" for part in PARTS] + ["citywall@xiangyin.target"]
    return subprocess.run(
        [analyze, "verify", *(str(directory / name) for name in names)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _copy(tmp_path: Path) -> Path:
    """The units with ExecStart pointing at this machine's citywall (verify checks the
    program exists; on a hall's server it is /opt/citywall/venv/bin/citywall)."""
    for unit in UNITS.iterdir():
        text = unit.read_text(encoding="utf-8").replace(INSTALLED, citywall_command())
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    done = _verify(_copy(tmp_path))
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@pytest.mark.parametrize(
    ("line", "broken"),
    [("NoNewPrivileges=yes", "NoNewPrivilege=yes"), ("Restart=always", "Restart=sometimes")],
)
def test_verify_catches_a_broken_unit(tmp_path: Path, line: str, broken: str) -> None:
    """The check above can fail: a misspelt key or a bad value is reported."""
    directory = _copy(tmp_path)
    web = directory / "citywall-web@.service"
    web.write_text(web.read_text(encoding="utf-8").replace(line, broken), encoding="utf-8")
    done = _verify(directory)
    assert broken.split("=")[1 if "Restart" in broken else 0] in done.stdout + done.stderr


@pytest.mark.parametrize("part", PARTS)
def test_each_unit_restarts_is_hardened_and_keeps_state_in_its_directory(part: str) -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(UNITS / f"citywall-{part}@.service", encoding="utf-8")
    service = unit["Service"]
    assert service["Restart"] == "always" and float(service["RestartSec"]) > 0
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"  # never given up on
    assert service["EnvironmentFile"] == "/etc/citywall/%i/citywall.env"
    assert service["ExecStart"].startswith(f"{INSTALLED} ")
    for key, value in {
        "User": "citywall", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
        "ProtectHome": "yes", "PrivateTmp": "yes", "CapabilityBoundingSet": "",
        "StateDirectory": "citywall/%i",
    }.items():  # fmt: skip
        assert service[key] == value, key
    assert "CITYWALL_SNAPSHOTS=/var/lib/citywall/%i/snapshots" in service["Environment"]
