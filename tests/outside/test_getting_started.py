"""docs/getting-started.md, done as a user does it: the wheel in a fresh venv, a project of their own.

Nothing here imports from the repository's source tree: every command runs in a
temporary folder with the venv's ``burrow``, ``mypy``, ``pytest`` and ``python``.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.outside._project import console_commands, lay_out
from tests.outside.conftest import Installed

WAIT = 60.0  # seconds; a safety net against a hang, not a measure

PORTIONS = ("burrow/sdk", "burrow/server", "burrow/testing", "burrow/codegen", "burrow/cli")


def test_the_wheel_installs_only_the_burrow_package_typed(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        entry_points = wheel.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert {name.split("/")[0] for name in names} == {"burrow", "burrow_mq-0.1.0.dist-info"}
    assert "burrow/__init__.py" not in names  # a namespace package: each portion is a folder of the repo
    for portion in PORTIONS:
        assert f"{portion}/__init__.py" in names
        assert f"{portion}/py.typed" in names
    assert "burrow_mq-0.1.0.dist-info/licenses/LICENSE" in names
    assert "burrow = burrow.cli:main" in entry_points
    assert "[pytest11]\nburrow = burrow.testing._plugin" in entry_points


@pytest.fixture(scope="module")
def project(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guide's project, after ``burrow codegen``."""
    folder = tmp_path_factory.mktemp("shop-project")
    lay_out(folder)
    done = run(installed, folder, "burrow codegen")
    assert done.returncode == 0, done.stderr
    return folder


def run(installed: Installed, folder: Path, command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command.split(), cwd=folder, env=installed.env(**env), capture_output=True, text=True, check=False, timeout=600
    )


def test_the_guide_shows_the_commands_run_here() -> None:
    shown = console_commands()
    for command in (
        "pip install burrow-mq pytest pytest-asyncio mypy",
        "burrow codegen",
        "mypy shop tests",
        "pytest",
        "burrow worker shop.worker:make_worker",
        "python -m shop.client",
    ):
        assert command in shown, f"docs/getting-started.md no longer tells the user to run {command!r}"


def test_codegen_writes_a_package_that_names_only_the_users_service(installed: Installed, project: Path) -> None:
    generated = project / "shop" / "generated"
    assert sorted(path.name for path in generated.iterdir() if path.is_file()) == [
        "__init__.py",
        "client.py",
        "server.py",
    ]
    assert (project / "shop" / "burrow.lock.json").is_file()
    for module in ("client.py", "server.py"):
        source = (generated / module).read_text()
        assert "cleanup" not in source
        assert "from burrow" in source
    check = run(installed, project, "burrow codegen check")
    assert check.returncode == 0, check.stderr
    version = run(installed, project, "burrow --version")
    assert version.stdout == "burrow 0.1.0\n"


def test_mypy_strict_is_clean_on_the_project(installed: Installed, project: Path) -> None:
    done = run(installed, project, "mypy shop tests")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Success: no issues found")


def test_the_projects_own_tests_pass_on_the_in_memory_broker(installed: Installed, project: Path) -> None:
    done = run(installed, project, "pytest -q -p no:cacheprovider")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


async def test_the_worker_and_the_client_talk_through_rabbitmq(
    installed: Installed, project: Path, amqp_url: str
) -> None:
    env = installed.env(BURROW_URL=amqp_url)
    worker = await asyncio.create_subprocess_exec(
        *["burrow", "worker", "shop.worker:make_worker", "--log-level", "debug"],
        cwd=project,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    log: list[str] = []
    try:
        await _read_until(worker, log, "serving orders.get_order, orders.send_receipt")
        client = await asyncio.create_subprocess_exec(
            *["python", "-m", "shop.client"], cwd=project, env=env, stdout=asyncio.subprocess.PIPE
        )
        output, _ = await asyncio.wait_for(client.communicate(), WAIT)
        assert client.returncode == 0
        assert output.decode() == "order 1: 4200 cents for ada@example.com\norder 404 does not exist\n"
        await _read_until(worker, log, "receipt for order 1 sent to ada@example.com", count=2)
        worker.send_signal(signal.SIGTERM)
        assert worker.stderr is not None
        log += (await asyncio.wait_for(worker.stderr.read(), WAIT)).decode().splitlines(keepends=True)
        assert await asyncio.wait_for(worker.wait(), WAIT) == 0
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert "Traceback" not in "".join(log)
    # --log-level debug: one line per handled message, with its outcome.
    handled = [line.split(": ", 1)[1] for line in log if " burrow.worker: orders." in line]
    assert sum(" attempt 1: ok in " in line for line in handled if line.startswith("orders.send_receipt ")) == 2
    assert any(line.startswith("orders.get_order ") and " attempt 1: error in " in line for line in handled)


async def _read_until(process: asyncio.subprocess.Process, log: list[str], text: str, count: int = 1) -> None:
    assert process.stderr is not None
    async with asyncio.timeout(WAIT):
        while sum(text in line for line in log) < count:
            line = await process.stderr.readline()
            assert line, f"the worker exited before logging {text!r}:\n" + "".join(log)
            log.append(line.decode())
