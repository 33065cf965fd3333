"""A wheel of this checkout, installed into a fresh virtual environment outside the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.outside._project import ROOT

# What docs/getting-started.md installs beside burrow-mq.
TOOLS = ("pytest", "pytest-asyncio", "mypy")


@dataclass
class Installed:
    """The built wheel and a venv (outside the repo) that has it and the user's test tools."""

    wheel: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a shell with the venv activated, and nothing of this repo's."""
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV", "UV_"))}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        return {**env, **extra}


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    probe = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True, check=False)
    if probe.returncode == 0:
        return [sys.executable, "-m", "uv"]
    if os.environ.get("BURROW_REQUIRE_TOOLS"):
        pytest.fail("uv is needed to build and install the wheel (scripts/setup installs it)")
    pytest.skip("uv is not installed")


def _run(command: list[str], **options: object) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    uv = _uv()
    base = tmp_path_factory.mktemp("outside")
    assert not base.resolve().is_relative_to(ROOT)
    dist = base / "dist"
    _run([*uv, "build", "--wheel", "--out-dir", str(dist), str(ROOT)])
    (wheel,) = dist.glob("burrow_mq-*.whl")
    # The test tools at the versions this repo is tested with; burrow-mq's own
    # dependencies are resolved from the wheel's metadata, as for a user.
    pins = base / "pins.txt"
    exported = subprocess.run(
        [*uv, "export", "--frozen", "--no-hashes", "--no-emit-project", "--format", "requirements-txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins.write_text(exported)
    venv = base / "venv"
    _run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
    python = str(venv / "bin" / "python")
    _run([*uv, "pip", "install", "--quiet", "--python", python, "--constraint", str(pins), str(wheel), *TOOLS])
    return Installed(wheel=wheel, venv=venv)
