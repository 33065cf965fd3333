"""``burrow worker --queue`` and ``--processes``: what they accept and how they refuse, without a broker."""

from __future__ import annotations

import signal
import sys

import pytest
from burrow.cli import main
from burrow.cli._loop import loop_factory
from burrow.cli._main import build_parser
from burrow.cli._supervisor import MAX_BACKOFF, _describe, backoff, cpu_count
from burrow.cli._worker import _child_command, _merged_concurrency
from burrow.sdk import ConfigurationError, MemoryBroker
from burrow.server import Context, Worker

from tests.conformance._orders import Place, Report

SLOW_WORKER = "tests.integration._slow_worker:make_worker"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit:  # argparse's usage errors
        code = int(exit.code or 0)
    return code, capsys.readouterr().err


def test_an_unknown_queue_is_one_line_with_the_queues_there_are(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "worker", SLOW_WORKER, "--queue", "cleanup", "--queue", "cleanup.slow")
    assert (code, err) == (
        2,
        "burrow: error: the worker has no queue named 'cleanup.slow'\nhint: its services' queues are: cleanup\n",
    )


@pytest.mark.parametrize("value", ["0", "-1", "two", ""])
def test_processes_is_a_positive_number_or_auto(capsys: pytest.CaptureFixture[str], value: str) -> None:
    code, err = run(capsys, "worker", SLOW_WORKER, "--processes", value)
    assert code == 2
    assert err.splitlines() == [
        f"burrow: error: argument --processes: expected a number of processes (at least 1) or 'auto', got {value!r}",
        "hint: see `burrow worker --help`",
    ]


def test_processes_auto_is_one_per_cpu_and_the_default_is_one() -> None:
    parser = build_parser()
    assert parser.parse_args(["worker", SLOW_WORKER, "--processes", "auto"]).processes == cpu_count() >= 1
    assert parser.parse_args(["worker", SLOW_WORKER]).processes == 1
    assert parser.parse_args(["worker", SLOW_WORKER, "--queue", "a", "--queue", "b"]).queues == ["a", "b"]


def test_the_restart_pause_doubles_up_to_a_ceiling() -> None:
    pauses = [backoff(deaths) for deaths in range(1, 12)]
    assert pauses[:4] == [0.5, 1.0, 2.0, 4.0]
    assert pauses[-1] == MAX_BACKOFF
    assert pauses == sorted(pauses)


async def place(task: Place, ctx: Context) -> None:
    pass


async def report(task: Report, ctx: Context) -> None:
    pass


def orders_worker(**options: object) -> Worker:
    worker = Worker(transport=MemoryBroker().transport(), **options)  # type: ignore[arg-type]
    worker.bind(Place, place)
    worker.bind(Report, report)
    return worker


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (
            {"queues": ["orders", "reports"]},
            "queues names 'reports', not a queue of the services this worker binds "
            "(their queues: orders, orders.reports)",
        ),
        (
            {"concurrency": {"orders.report": 2}},
            "concurrency names 'orders.report', not a queue of the services this worker binds "
            "(their queues: orders, orders.reports)",
        ),
        ({"queues": []}, "queues is empty: name at least one queue, or None for all of them"),
    ],
)
def test_queue_names_must_be_queues_of_the_services_bound(options: dict[str, object], error: str) -> None:
    worker = orders_worker(**options)
    with pytest.raises(ConfigurationError) as caught:
        worker.check()
    assert str(caught.value) == error


@pytest.mark.parametrize(
    ("concurrency", "error"),
    [
        ({"orders": 0}, "concurrency of queue 'orders' must be at least 1, got 0"),
        ({"orders": True}, "concurrency of queue 'orders' must be at least 1, got True"),
        (0, "concurrency must be at least 1, got 0"),
    ],
)
def test_every_concurrency_is_at_least_one(concurrency: object, error: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Worker(concurrency=concurrency)  # type: ignore[arg-type]
    assert str(caught.value) == error


def test_all_queues_lists_the_queues_of_the_services_bound() -> None:
    worker = orders_worker()
    assert worker.all_queues == ["orders", "orders.reports"]
    worker.check()


@pytest.mark.parametrize("value", ["0", "x", "=3", "orders=0", "orders=", "orders=two"])
def test_concurrency_is_n_or_queue_equals_n(capsys: pytest.CaptureFixture[str], value: str) -> None:
    code, err = run(capsys, "worker", SLOW_WORKER, "--concurrency", value)
    assert code == 2
    assert err.splitlines()[0] == (
        f"burrow: error: argument --concurrency: expected N or QUEUE=N with N at least 1, got {value!r}"
    )


def test_concurrency_on_the_command_line_overrides_the_workers_per_queue() -> None:
    worker = orders_worker(concurrency={"orders.reports": 3})
    assert _merged_concurrency(worker, [("orders", 5)]) == {"orders": 5, "orders.reports": 3}
    assert _merged_concurrency(worker, [(None, 4), ("orders.reports", 1)]) == {"orders": 4, "orders.reports": 1}
    assert _merged_concurrency(orders_worker(), []) == {"orders": 32, "orders.reports": 32}
    # QUEUE=N wins over a plain N wherever each stands on the line.
    assert _merged_concurrency(worker, [("orders.reports", 1), (None, 4)]) == {"orders": 4, "orders.reports": 1}


def test_a_process_killed_by_a_signal_without_a_name_is_described_by_its_number() -> None:
    assert _describe(-signal.SIGKILL) == "was killed by SIGKILL"
    assert _describe(-(signal.SIGRTMIN + 2)) == f"was killed by signal {signal.SIGRTMIN + 2}"
    assert _describe(70) == "exited with code 70"


def test_concurrency_of_an_unknown_queue_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "worker", SLOW_WORKER, "--concurrency", "clean=2")
    assert (code, err) == (
        2,
        "burrow: error: --concurrency names 'clean', not a queue of the worker's services\n"
        "hint: its services' queues are: cleanup\n",
    )


def test_each_process_runs_the_same_command_with_a_port_of_its_own() -> None:
    argv = ["--debug", "worker", SLOW_WORKER, "--url", "amqp://broker/", "--http-port", "9000", "--processes", "2"]
    argv += ["--queue", "cleanup", "--concurrency", "3", "--concurrency", "cleanup=4", "--log-format", "json"]
    args = build_parser().parse_args(argv)
    worker = Worker(http_port=9000)
    second = _child_command(args, worker, 2)
    assert second[1:] == [
        *("-m", "burrow.cli", "--debug", "worker", SLOW_WORKER, "--processes", "1"),
        *("--log-level", "INFO", "--log-format", "json", "--wait", "60.0", "--loop", "auto"),
        *("--url", "amqp://broker/"),
        *("--http-port", "9001", "--queue", "cleanup", "--concurrency", "3", "--concurrency", "cleanup=4"),
    ]
    assert _child_command(args, Worker(http_port=0), 2)[-8:-6] == ["--http-port", "0"]  # each picks a free one


def test_loop_uvloop_without_uvloop_is_one_line_with_the_install_hint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if not installed: importing it raises ImportError
    code, err = run(capsys, "worker", SLOW_WORKER, "--loop", "uvloop")
    assert (code, err) == (
        2,
        "burrow: error: --loop uvloop: uvloop is not installed\n"
        "hint: pip install 'burrow-mq[uvloop]', or leave --loop at auto to run on asyncio's loop\n",
    )


def test_auto_runs_on_uvloop_where_it_is_installed_and_asyncio_on_asyncios_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvloop

    assert loop_factory("auto") is uvloop.new_event_loop
    assert loop_factory("asyncio") is None
    monkeypatch.setitem(sys.modules, "uvloop", None)
    assert loop_factory("auto") is None  # not installed: asyncio's loop, no error


def test_the_processes_are_told_the_loop() -> None:
    args = build_parser().parse_args(["worker", SLOW_WORKER, "--loop", "asyncio", "--processes", "2"])
    command = _child_command(args, Worker(transport=MemoryBroker().transport()), 1)
    assert command[command.index("--loop") + 1] == "asyncio"
