"""``burrow contracts verify`` runs the contract tests from the command line."""

from __future__ import annotations

import pytest
from burrow.cli import main


def test_the_example_implementation_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "verify", "tests.docs._verify_targets:bind"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ok             cleanup.delete_file DeleteFile(path='assets/temp/x.png')",
        "declared-error cleanup.stat_file StatFile(path='a.png'): FileMissing(path='a.png')",
        "2 of 2 examples passed",
    ]


def test_an_unbound_contract_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["contracts", "verify", "tests.docs._verify_targets:bind_half", "--contracts", "contracts.cleanup"]) == 1
    )
    assert "binds no handler for: cleanup.stat_file" in capsys.readouterr().out


def test_a_missing_target_is_exit_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "verify", "tests.docs._verify_targets:nothing"]) == 2
    assert "has no attribute 'nothing'" in capsys.readouterr().err
