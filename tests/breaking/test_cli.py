"""``burrow contracts breaking``: files and git refs, text and JSON, policy, allow-list, exit status."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from burrow.cli import main
from burrow.codegen import encode_lock
from burrow.sdk import Service

from tests.breaking import docs_example
from tests.breaking._case import lock_of
from tests.breaking.fixtures import fields, reserved

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_LOCK = ROOT / "contracts" / "burrow.lock.json"


def test_the_examples_lock_against_itself_reports_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["contracts", "breaking", "--against", str(EXAMPLES_LOCK), "--lock", str(EXAMPLES_LOCK)])
    assert code == 0
    assert capsys.readouterr().out == (
        f"burrow contracts breaking: {EXAMPLES_LOCK} -> {EXAMPLES_LOCK}: "
        "0 breaking, 0 changing meaning, 0 hygiene, 0 allowed, 0 warnings, 0 compatible\n"
    )


def test_the_examples_lock_against_itself_in_json_has_no_changes(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["contracts", "breaking", "--against", str(EXAMPLES_LOCK), "--lock", str(EXAMPLES_LOCK), "--format", "json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["breaking"], report["changes"], report["unused_allow"]) == (0, [], [])


def _git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose only commit holds the lock of a task with a required ``path``."""
    (tmp_path / "pyproject.toml").write_text('[tool.burrow.codegen]\nlock = "contracts/burrow.lock.json"\n')
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "burrow.lock.json").write_bytes(encode_lock(lock_of(fields.path_only())))
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def _change_lock(repo: Path) -> None:
    (repo / "contracts" / "burrow.lock.json").write_bytes(encode_lock(lock_of(fields.with_owner())))


def _run(repo: Path, *args: str) -> int:
    return main(["contracts", "breaking", "--config", str(repo / "pyproject.toml"), *args])


def test_a_break_against_a_git_ref_fails_naming_rule_path_and_direction(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _change_lock(repo)
    assert _run(repo, "--against", "HEAD") == 1
    lock = repo / "contracts" / "burrow.lock.json"
    assert capsys.readouterr().out == (
        "BREAKING   required-field-added fx.Send.owner (request): - -> str (required)\n"
        "    breaks backward: old messages lack the field; the new reader requires it\n"
        f"burrow contracts breaking: HEAD:contracts/burrow.lock.json -> {lock}: "
        "1 breaking, 0 changing meaning, 0 hygiene, 0 allowed, 0 warnings, 0 compatible\n"
        "A break ships under a new contract name (a version suffix: <contract>.v2) served next to the old one; "
        "a deliberate, reviewed break goes in [[tool.burrow.breaking.allow]] with its rule, path and reason.\n"
    )


def test_json_output_lists_each_change_with_its_verdict(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _change_lock(repo)
    assert _run(repo, "--against", "HEAD", "--format", "json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["breaking"] == 1
    assert report["changes"] == [
        {
            "rule": "required-field-added",
            "path": "fx.Send.owner",
            "service": "fx",
            "role": "request",
            "old": "-",
            "new": "str (required)",
            "breaks": ["backward"],
            "why": "old messages lack the field; the new reader requires it",
            "meaning": [],
            "possible": [],
            "witnesses": [
                {
                    "direction": "backward",
                    "codec": "json",
                    "message": '{"path":""}',
                    "sent": '{"path":""}',
                    "error": "Object missing required field `owner`",
                    "first": "",
                    "read": "",
                    "field": "",
                }
            ],
            "category": "breaking",
            "status": "breaking",
            "required": ["backward", "forward"],
            "reason": "",
        }
    ]


def test_an_allowed_break_passes_with_its_reason(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _change_lock(repo)
    with (repo / "pyproject.toml").open("a") as file:
        file.write(
            '[[tool.burrow.breaking.allow]]\nrule = "required-field-added"\npath = "fx.Send.owner"\n'
            'reason = "the fx queue is drained before the deploy"\n'
        )
    assert _run(repo, "--against", "HEAD") == 0
    out = capsys.readouterr().out
    assert "ALLOWED    required-field-added fx.Send.owner" in out
    assert "    allowed: the fx queue is drained before the deploy\n" in out


def test_an_allow_entry_without_a_reason_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (repo / "pyproject.toml").open("a") as file:
        file.write(
            '[[tool.burrow.breaking.allow]]\nrule = "required-field-added"\npath = "fx.Send.owner"\nreason = ""\n'
        )
    assert _run(repo, "--against", "HEAD") == 2
    assert capsys.readouterr().err.endswith("allow required-field-added fx.Send.owner needs a reason\n")


def test_an_allow_entry_that_matches_nothing_is_pointed_out(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (repo / "pyproject.toml").open("a") as file:
        file.write('[[tool.burrow.breaking.allow]]\nrule = "contract-removed"\npath = "fx.gone"\nreason = "done"\n')
    assert _run(repo, "--against", "HEAD") == 0
    assert "note: allow contract-removed fx.gone matches no change" in capsys.readouterr().out


def test_a_service_policy_can_drop_a_direction(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _change_lock(repo)
    with (repo / "pyproject.toml").open("a") as file:
        file.write('[tool.burrow.breaking.services.fx]\nrequests = "forward"\n')
    assert _run(repo, "--against", "HEAD") == 0
    assert "(policy for fx requests requires only forward)" in capsys.readouterr().out


def test_an_old_lock_file_can_be_given_instead_of_a_ref(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    old = tmp_path_factory.mktemp("old") / "old.lock.json"
    old.write_bytes(encode_lock(lock_of(reserved.size_in_bytes())))
    # size removed but not reserved: backward.
    assert _run(repo, "--against", str(old)) == 1


@pytest.mark.parametrize("ref", ["HEAD~1", "no-such-branch", "HEAD:contracts/missing.json"])
def test_a_missing_base_fails_unless_missing_ok(repo: Path, ref: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(repo, "--against", ref) == 2
    assert "cannot read" in capsys.readouterr().err
    assert _run(repo, "--against", ref, "--missing-ok") == 0
    assert "nothing to compare against, skipped" in capsys.readouterr().err


def test_a_lock_from_a_newer_burrow_is_an_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    newer = repo / "newer.json"
    newer.write_text('{"format_version": 99}')
    assert _run(repo, "--against", str(newer)) == 2
    assert "format_version 99" in capsys.readouterr().err


def test_ci_in_a_fresh_clone_compares_the_last_commit_with_its_parent(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    _change_lock(repo)
    _git(repo, "commit", "-q", "-am", "owner is required")
    clone = tmp_path_factory.mktemp("ci") / "clone"
    subprocess.run(["git", "clone", "-q", f"file://{repo}", str(clone)], check=True, capture_output=True)
    assert _run(clone, "--against", "HEAD~1", "--missing-ok") == 1
    assert "BREAKING   required-field-added fx.Send.owner" in capsys.readouterr().out
    shallow = tmp_path_factory.mktemp("ci") / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{repo}", str(shallow)], check=True, capture_output=True)
    assert _run(shallow, "--against", "HEAD~1", "--missing-ok") == 0


def test_outside_a_git_repository_missing_ok_skips_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # e.g. CI building from a source archive: no history, nothing to compare.
    (tmp_path / "pyproject.toml").write_text('[tool.burrow.codegen]\nlock = "burrow.lock.json"\n')
    (tmp_path / "burrow.lock.json").write_bytes(encode_lock(lock_of(fields.path_only())))
    assert _run(tmp_path, "--against", "HEAD~1", "--missing-ok") == 0
    assert "neither a file nor usable as a git ref" in capsys.readouterr().err


def _write(repo: Path, name: str, service: Service) -> Path:
    path = repo / name
    path.write_bytes(encode_lock(lock_of(service)))
    return path


def test_explain_prints_the_witness_message_and_the_readers_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _change_lock(repo)
    assert _run(repo, "--against", "HEAD", "--explain") == 1
    assert (
        "    breaks backward: old messages lack the field; the new reader requires it\n"
        '    backward witness, an old writer sends (json): {"path":""}\n'
        "        the new reader refuses it: Object missing required field `owner`\n"
    ) in capsys.readouterr().out


def test_the_output_shown_in_the_docs_is_what_the_checker_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "contracts").mkdir()
    _write(tmp_path, "old.lock.json", docs_example.before())
    _write(tmp_path, "contracts/burrow.lock.json", docs_example.after())
    assert (
        main(
            ["contracts", "breaking", "--against", "old.lock.json", "--lock", "contracts/burrow.lock.json", "--explain"]
        )
        == 1
    )
    docs = (ROOT / "docs" / "breaking.md").read_text()
    shown = docs.split("## Output\n\n```\n", 1)[1].split("```", 1)[0]
    assert capsys.readouterr().out == shown


@pytest.mark.parametrize(("setting", "code", "label"), [("", 1, "MEANING   "), ('meaning = "warn"\n', 0, "WARNING   ")])
def test_a_change_of_meaning_fails_unless_the_policy_warns(
    repo: Path, setting: str, code: int, label: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "pyproject.toml").write_text(f'[tool.burrow.codegen]\nlock = "new.json"\n[tool.burrow.breaking]\n{setting}')
    old = _write(repo, "old.json", fields.count(1))
    _write(repo, "new.json", fields.count(2))
    assert _run(repo, "--against", str(old)) == code
    out = capsys.readouterr().out
    assert f"{label} default-changed fx.Defaulted.count (request): 1 -> 2\n" in out
    assert "    changes meaning backward+forward: an omit_defaults writer leaves its default out" in out


@pytest.mark.parametrize(("setting", "code", "label"), [("", 1, "HYGIENE   "), ('hygiene = "warn"\n', 0, "WARNING   ")])
def test_a_hygiene_finding_fails_unless_the_policy_warns(
    repo: Path, setting: str, code: int, label: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "pyproject.toml").write_text(f'[tool.burrow.codegen]\nlock = "new.json"\n[tool.burrow.breaking]\n{setting}')
    old = _write(repo, "old.json", fields.with_note())
    _write(repo, "new.json", fields.path_only())
    assert _run(repo, "--against", str(old)) == code
    out = capsys.readouterr().out
    assert f"{label} removed-name-not-reserved fx.Send.note (request): note -> -\n    hygiene: " in out
    assert "COMPATIBLE field-removed fx.Send.note" in out


def test_json_carries_the_two_readings_of_a_change_of_meaning(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _write(repo, "old.json", fields.count(1))
    new = _write(repo, "new.json", fields.count(2))
    assert _run(repo, "--against", str(old), "--lock", str(new), "--format", "json") == 1
    (change,) = json.loads(capsys.readouterr().out)["changes"]
    assert (change["category"], change["breaks"], change["meaning"]) == ("meaning", [], ["backward", "forward"])
    backward = next(w for w in change["witnesses"] if w["direction"] == "backward")
    # The old writer leaves its default (1) out; the new reader fills in its own (2).
    assert (backward["message"], backward["read"]) == ("{}", '{"count":2}')


def test_a_direction_without_a_witness_is_reported_as_possible(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _write(repo, "old.json", reserved.size_dropped(reserved=True))
    new = _write(repo, "new.json", reserved.size_as_label())
    assert _run(repo, "--against", str(old), "--lock", str(new)) == 1
    out = capsys.readouterr().out
    assert "BREAKING   reserved-name-reused fx.Send.size" in out
    assert "    backward possible, not demonstrated: the messages that carry a reserved name" in out


def test_a_lock_older_than_the_contracts_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A contract edited without `burrow codegen`: comparing the stale lock would report nothing.
    contracts = tmp_path / "stale_lock_contracts.py"
    contracts.write_text(
        "from burrow.sdk import Service, Task\n\n"
        "inbox = Service('inbox')\n\n\n"
        "@inbox.task('file')\n"
        "class File(Task, frozen=True):\n"
        "    path: str\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.burrow.codegen]\ncontracts = ["stale_lock_contracts"]\nlock = "inbox.lock.json"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["codegen"]) == 0
    lock = tmp_path / "inbox.lock.json"
    base = tmp_path / "base.lock.json"
    base.write_bytes(lock.read_bytes())
    assert main(["contracts", "breaking", "--against", str(base)]) == 0
    capsys.readouterr()

    contracts.write_text(contracts.read_text().replace("path: str", "path: int"))
    monkeypatch.delitem(__import__("sys").modules, "stale_lock_contracts")
    assert main(["contracts", "breaking", "--against", str(base)]) == 2
    assert capsys.readouterr().err == (
        "burrow: error: inbox.lock.json does not match the contracts (stale_lock_contracts): "
        "regenerate it with `burrow codegen`, then check\n"
    )
