"""The ``burrow`` command as a user meets it: help, version, and one line per expected failure."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from burrow.cli import main
from burrow.cli._main import build_parser
from burrow.cli._worker import load_worker
from burrow.server import Worker

BIN = Path(sys.executable).parent


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit:  # argparse's --help, --version and usage errors
        code = int(exit.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_worker_factory_is_called() -> None:
    worker = load_worker("tests.integration._slow_worker:make_worker")
    assert isinstance(worker, Worker)
    assert worker.concurrency == 2


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("tests.integration._slow_worker", "expected MODULE:ATTRIBUTE, got 'tests.integration._slow_worker'"),
        (":make_worker", "expected MODULE:ATTRIBUTE, got ':make_worker'"),
        ("tests.integration._slow_worker:nothing", "tests.integration._slow_worker has no attribute 'nothing'"),
        ("tests.integration._slow_worker:log", "tests.integration._slow_worker:log is Logger, not a Worker"),
        ("no_such_package.worker:worker", "no module named 'no_such_package.worker'"),
    ],
)
def test_a_target_that_is_not_a_worker_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], target: str, error: str
) -> None:
    code, out, err = run(capsys, "worker", target)
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == f"burrow: error: {error}"
    assert len(err.splitlines()) <= 2
    assert all(line.startswith("hint: ") for line in err.splitlines()[1:])
    assert "Traceback" not in err


def test_a_module_that_fails_to_import_names_the_cause(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_service.py").write_text("import no_such_dependency\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code, _, err = run(capsys, "worker", "broken_service:worker")
    assert code == 2
    assert err.splitlines()[0] == "burrow: error: cannot import broken_service: No module named 'no_such_dependency'"


def test_a_bad_log_level_lists_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "worker", "pkg.mod:worker", "--log-level", "LOUD")
    assert code == 2
    assert err.splitlines() == [
        "burrow: error: argument --log-level: invalid choice: 'LOUD' (choose from 'DEBUG', 'INFO', 'WARNING', 'ERROR')",
        "hint: see `burrow worker --help`",
    ]


def test_the_worker_command_takes_a_url_and_a_lower_case_level() -> None:
    args = build_parser().parse_args(["worker", "pkg.mod:worker", "--url", "amqp://broker/", "--log-level", "debug"])
    assert (args.target, args.url, args.log_level, args.wait) == ("pkg.mod:worker", "amqp://broker/", "DEBUG", 60.0)


def test_bare_burrow_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 0
    assert out.startswith("usage: burrow")
    listed = {line.split()[0] for line in out.split("COMMAND ...", 1)[1].splitlines() if line.startswith("    ")}
    assert {"codegen", "contracts", "worker", "dead", "schedules"} <= listed


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == "burrow 0.1.0"


def test_codegen_check_without_configuration_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "codegen", "check")
    assert code == 2
    assert out == ""
    assert err.startswith("burrow: error: nothing to check: no [tool.burrow.codegen] in pyproject.toml here")


def test_contracts_that_do_not_import_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "shop_contracts.py").write_text("raise RuntimeError('half-written module')\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "codegen", "--contracts", "shop_contracts", "--lock", "lock.json")
    assert code == 2
    assert err == (
        "burrow: error: cannot import contracts module 'shop_contracts': RuntimeError: half-written module\n"
    )


def test_the_installed_command_fails_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    # The real console script, as a shell runs it.
    (tmp_path / "service.py").write_text(textwrap.dedent("value = 1\n"))
    done = subprocess.run(
        [str(BIN / "burrow"), "worker", "service:worker"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr == "burrow: error: service has no attribute 'worker'\n"
    assert done.stdout == ""


def test_schedules_needs_the_contracts_and_names_what_is_declared(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "schedules", "list")
    assert code == 2
    assert err.splitlines()[0] == "burrow: error: the following arguments are required: --contracts"
    code, _, err = run(capsys, "schedules", "pause", "cleanup.nope", "--contracts", "contracts.cleanup")
    assert (code, err) == (
        2,
        "burrow: error: no schedule named 'cleanup.nope' in the contracts\nhint: declared: none\n",
    )
    code, _, err = run(capsys, "schedules", "list", "--contracts", "contracts.cleanup")
    assert (code, err) == (0, "no schedules declared in contracts.cleanup\n")
    code, _, err = run(capsys, "schedules", "resume", "x.y", "--contracts", "no_such_module_here")
    assert code == 2
    assert err.startswith("burrow: error: no module named 'no_such_module_here'\n")
