"""``burrow schedules list|pause|resume``: schedules as the broker holds them."""

from __future__ import annotations

import argparse
import asyncio
import sys

from burrow.cli._errors import EXIT_OK, EXIT_USAGE, CommandError
from burrow.cli._targets import import_module
from burrow.sdk import AmqpTransport, Schedule, Service, Topology
from burrow.sdk._url import broker_url
from burrow.server._schedule_control import ScheduleStatus, pause, resume, status

__all__ = ["add_schedules_command"]

# A tick is out of its slot only while a worker hands it on: look again before saying no tick is pending.
_LOOK_AGAIN = 0.5


def add_schedules_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "schedules",
        help="list schedules with their next tick, pause or resume one",
        description="Schedules are declared with Service.schedule in the contracts and run by the workers "
        "that serve the service; their state lives in the broker. list shows each one's next tick and "
        "whether its chain is alive; pause keeps the chain ticking but sends nothing until resume.",
    )
    actions = parser.add_subparsers(title="actions", required=True)
    for name, help_text in (
        ("list", "print every schedule of the contracts, its next tick and its state"),
        ("pause", "stop sending a schedule's task from its next tick on"),
        ("resume", "send a paused schedule's task again"),
    ):
        action = actions.add_parser(name, help=help_text)
        if name != "list":
            action.add_argument("name", help="the schedule, as SERVICE.SCHEDULE")
        action.add_argument(
            "--contracts",
            metavar="MODULE",
            action="append",
            required=True,
            help="module declaring the services and their schedules (repeat for several)",
        )
        action.add_argument("--url", help="broker URL (default: $BURROW_URL, then $RABBITMQ_URL, then localhost)")
        action.add_argument("--exchange", default=Topology().exchange, help="the deployment's exchange")
        action.set_defaults(run=_run, action=name)


def _run(args: argparse.Namespace) -> int:
    schedules = _schedules(args.contracts)
    if args.action != "list":
        schedules = [_named(schedules, args.name)]
    elif not schedules:
        print(f"no schedules declared in {', '.join(args.contracts)}", file=sys.stderr)
        return EXIT_OK
    return asyncio.run(_act(args, schedules))


async def _act(args: argparse.Namespace, schedules: list[Schedule]) -> int:
    topology = Topology(exchange=args.exchange)
    transport = AmqpTransport(broker_url(args.url), connection_name="burrow-schedules")
    await transport.open()
    try:
        if args.action == "pause":
            await pause(transport, topology, schedules[0])
            print(f"paused {schedules[0].wire_name}: its ticks go on, nothing is sent until resume")
        elif args.action == "resume":
            await resume(transport, topology, schedules[0])
            print(f"resumed {schedules[0].wire_name}")
        else:
            for schedule in schedules:
                found = await status(transport, topology, schedule)
                if not found.alive:
                    await asyncio.sleep(_LOOK_AGAIN)
                    found = await status(transport, topology, schedule)
                print(_line(found))
    finally:
        await transport.close()
    return EXIT_OK


def _schedules(modules: list[str]) -> list[Schedule]:
    found: dict[str, Schedule] = {}
    for name in modules:
        for value in vars(import_module(name)).values():
            if isinstance(value, Service):
                found.update((schedule.wire_name, schedule) for schedule in value.schedules.values())
    return [found[name] for name in sorted(found)]


def _named(schedules: list[Schedule], name: str) -> Schedule:
    for schedule in schedules:
        if schedule.wire_name == name:
            return schedule
    known = ", ".join(schedule.wire_name for schedule in schedules) or "none"
    raise CommandError(f"no schedule named {name!r} in the contracts", hint=f"declared: {known}", code=EXIT_USAGE)


def _line(found: ScheduleStatus) -> str:
    schedule = found.schedule
    if found.next_tick is None:
        state, next_tick = "no pending tick: no worker of this version started it, or its chain was lost", "-"
    else:
        state = "alive, paused" if found.paused else "alive"
        next_tick = found.next_tick.isoformat(timespec="seconds").replace("+00:00", "Z")
    return "  ".join((schedule.wire_name, schedule.expression, schedule.contract.wire_name, next_tick, state))
