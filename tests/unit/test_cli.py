"""``burrow worker MODULE:ATTRIBUTE``: finding the worker to run, or saying why not."""

from __future__ import annotations

import pytest
from burrow.cli._main import build_parser
from burrow.server import Worker
from burrow.server._cli import load_worker


def test_a_worker_factory_is_called() -> None:
    worker = load_worker("tests.integration._slow_worker:make_worker")
    assert isinstance(worker, Worker)
    assert worker.concurrency == 2


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "tests.integration._slow_worker",
            "burrow worker: expected MODULE:ATTRIBUTE, got 'tests.integration._slow_worker'",
        ),
        (":make_worker", "burrow worker: expected MODULE:ATTRIBUTE, got ':make_worker'"),
        (
            "tests.integration._slow_worker:nothing",
            "burrow worker: tests.integration._slow_worker has no attribute 'nothing'",
        ),
        ("tests.integration._slow_worker:log", None),
    ],
)
def test_a_target_that_is_not_a_worker_is_refused(target: str, message: str | None) -> None:
    with pytest.raises(SystemExit) as caught:
        load_worker(target)
    if message is None:
        assert str(caught.value).startswith(f"burrow worker: {target} is <Logger slow_worker")
        assert str(caught.value).endswith(", not a Worker")
    else:
        assert str(caught.value) == message


def test_the_worker_command_takes_a_url() -> None:
    args = build_parser().parse_args(["worker", "pkg.mod:worker", "--url", "amqp://broker/"])
    assert (args.target, args.url, args.log_level) == ("pkg.mod:worker", "amqp://broker/", "INFO")
