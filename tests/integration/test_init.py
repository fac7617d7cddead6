"""`citywall init DIR`: a starter hall that passes check-config, with keys only its
owner can read, and nothing overwritten by a second run."""

from __future__ import annotations

import subprocess
from pathlib import Path

from core.secrets import weakness
from testkit.citywall import citywall_command


def _citywall(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [citywall_command(), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_init_writes_a_hall_that_passes_check_config(tmp_path: Path) -> None:
    done = _citywall("init", "hall", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    hall = tmp_path / "hall"
    check = _citywall("check-config", str(hall / "wall_config.yaml"), cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "4 cameras" in check.stdout
    env = dict(
        line.split("=", 1)
        for line in (hall / "citywall.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    for name in ("CITYWALL_SECRET", "CITYWALL_RELAY_KEY"):
        assert weakness(env[name]) is None
    assert env["CITYWALL_SECRET"] != env["CITYWALL_RELAY_KEY"]
    assert (hall / "citywall.env").stat().st_mode & 0o777 == 0o600
    assert (hall / "users.yaml").stat().st_mode & 0o777 == 0o600
    password = done.stdout.split("first admin: admin / ")[1].split()[0]
    assert password not in (hall / "users.yaml").read_text()  # only its hash


def test_init_never_overwrites_a_hall(tmp_path: Path) -> None:
    assert _citywall("init", "hall", cwd=tmp_path).returncode == 0
    edited = tmp_path / "hall" / "wall_config.yaml"
    edited.write_text(edited.read_text() + "# the hall's own edit\n")
    again = _citywall("init", "hall", cwd=tmp_path)
    assert again.returncode == 1
    assert "already has wall_config.yaml" in again.stderr
    assert edited.read_text().endswith("# the hall's own edit\n")
