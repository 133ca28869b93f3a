"""scripts/debian_mirror.sh finds the bookworm mirror in both apt source formats (issue 13: a classic
one-line sources.list with no sources.list.d/*.list files used to abort under pipefail)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "debian_mirror.sh"


def mirror(apt_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True,
                          env={**os.environ, "APT_DIR": str(apt_dir)})


def test_classic_sources_list_alone(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "# deb http://old.example/debian bookworm main\n"
        "deb http://security.example/debian-security bookworm-security main\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://mirror.example/debian bookworm main contrib\n"
    )
    proc = mirror(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "http://mirror.example/debian"


def test_deb822_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n"
        "Types: deb\nURIs: http://mirror822.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
    )
    proc = mirror(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "http://mirror822.example/debian"


def test_no_mirror_is_an_error(tmp_path):
    (tmp_path / "sources.list").write_text("deb http://mirror.example/debian trixie main\n")
    proc = mirror(tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
