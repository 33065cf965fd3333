"""``burrow dead list|show|replay|purge SERVICE``: the dead-letter tools on the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

import msgspec
from burrow.cli._errors import EXIT_BROKER, EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError
from burrow.cli._targets import import_module
from burrow.sdk import Service, Topology, TopologyError
from burrow.sdk._url import broker_url
from burrow.server._dead_letter_tools import DeadLetter, DeadLetters

__all__ = ["add_dead_command"]


def add_dead_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "dead",
        help="inspect, replay or purge a service's dead-letter queue",
        description="Work on SERVICE.dead. list and show leave the messages in place (marked redelivered); "
        "replay sends them back to their contracts as first attempts; purge deletes them.",
    )
    actions = parser.add_subparsers(title="actions", required=True)
    for name, help_text in (
        ("list", "print the dead letters, oldest first"),
        ("show", "print one dead letter, decoded with its contract"),
        ("replay", "send dead letters back to their contracts (all, or --id ...)"),
        ("purge", "delete every dead letter of the service"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("service", help="the service's name; its dead-letter queue is SERVICE.dead")
        action.add_argument("--url", help="broker URL (default: $BURROW_URL, then $RABBITMQ_URL, then localhost)")
        action.add_argument("--exchange", default=Topology().exchange, help="the deployment's exchange")
        action.add_argument("--contracts", metavar="MODULE", help="module declaring the service, to decode bodies")
        action.set_defaults(run=_run, action=name)
    actions.choices["list"].add_argument("--limit", type=int, default=100)
    actions.choices["show"].add_argument("message_id")
    actions.choices["replay"].add_argument("--id", dest="ids", action="append", help="replay only this message id")
    actions.choices["purge"].add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _run(args: argparse.Namespace) -> int:
    if args.action == "purge" and not args.yes:
        answer = input(f"delete every message of {args.service}.dead? [y/N] ")
        if answer.strip().lower() != "y":
            print("nothing purged", file=sys.stderr)
            return EXIT_FAILED
    service = _service(args.service, args.contracts)
    tools = DeadLetters.connect(broker_url(args.url), service, topology=Topology(exchange=args.exchange))
    return asyncio.run(_act(args, tools))


async def _act(args: argparse.Namespace, tools: DeadLetters) -> int:
    async with tools:
        try:
            return await _action(args, tools)
        except TopologyError as exc:
            raise CommandError(
                f"cannot use the dead-letter queue {tools.queue}: {exc}",
                hint=exc.hint
                or f"is {args.service!r} the service's name? Its queues exist once a worker or client of it ran",
                code=EXIT_BROKER,
            ) from exc


async def _action(args: argparse.Namespace, tools: DeadLetters) -> int:
    if args.action == "list":
        letters = await tools.list(limit=args.limit)
        for letter in letters:
            print(_summary(letter))
        if not letters:
            print(f"no dead letters in {tools.queue}", file=sys.stderr)
    elif args.action == "show":
        found = await tools.show(args.message_id)
        if found is None:
            raise CommandError(f"no dead letter {args.message_id} in {tools.queue}", code=EXIT_FAILED)
        print(json.dumps(_details(found), indent=2, default=str))
    elif args.action == "replay":
        print(f"replayed {await tools.replay(args.ids)} message(s)")
    else:
        print(f"purged {await tools.purge()} message(s)")
    return EXIT_OK


def _service(name: str, module_name: str | None) -> Service | str:
    if module_name is None:
        return name
    module = import_module(module_name)
    for value in vars(module).values():
        if isinstance(value, Service) and value.name == name:
            return value
    raise CommandError(f"{module_name} declares no Service named {name!r}", code=EXIT_USAGE)


def _summary(letter: DeadLetter) -> str:
    return "  ".join(
        (
            letter.message_id,
            letter.contract,
            letter.reason,
            f"attempts={letter.attempts}",
            _time(letter.failed_at),
            f"{letter.error_type}: {letter.error_message}",
        )
    )


def _details(letter: DeadLetter) -> dict[str, Any]:
    body: Any = (
        msgspec.to_builtins(letter.message) if letter.message is not None else letter.body.decode(errors="replace")
    )
    return {
        "message_id": letter.message_id,
        "contract": letter.contract,
        "reason": letter.reason,
        "error": f"{letter.error_type}: {letter.error_message}",
        "attempts": letter.attempts,
        "first_failed_at": _time(letter.first_failed_at),
        "failed_at": _time(letter.failed_at),
        "message": body,
        "decode_error": letter.decode_error,
        "headers": letter.headers,
    }


def _time(epoch_ms: int | None) -> str:
    return "-" if epoch_ms is None else datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds")
