"""How the command line fails: one line saying what happened, one hint, one exit code.

Exit codes, the same for every command:

    0   success
    1   a check found problems (stale generated files, breaking changes, failing
        examples, a dead letter that is not there)
    2   usage or configuration: bad arguments, no configuration, a module that does
        not import, an attribute that is not there, a contract declared wrongly
    3   the broker: not reachable, credentials or vhost refused, a queue missing or
        declared with other arguments (e.g. classic where quorum is expected)
    70  an unexpected error (a bug: run again with --debug for the traceback)
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import sys

from burrow.codegen._errors import CodegenError
from burrow.sdk import (
    AccessRefused,
    BrokerUnreachable,
    BurrowError,
    ConfigurationError,
    ContractError,
    TopologyError,
    TransportError,
)

__all__ = [
    "EXIT_BROKER",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandError",
    "report",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BROKER = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

_URL_HINT = "set --url, $BURROW_URL or $RABBITMQ_URL to the broker, e.g. amqp://user:password@host:5672/vhost"


class CommandError(Exception):
    """Raised by a command for a failure it expected: printed as one line and a hint, never a traceback."""

    def __init__(self, message: str, *, hint: str | None = None, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code


def report(exc: Exception) -> int:
    """Print ``exc`` as ``burrow: error: ...`` (and a ``hint:`` line) on stderr; return its exit code."""
    failure = _as_command_error(exc)
    print(f"burrow: error: {failure.message}", file=sys.stderr)
    if failure.hint:
        print(f"hint: {failure.hint}", file=sys.stderr)
    return failure.code


def _as_command_error(exc: Exception) -> CommandError:
    if isinstance(exc, CommandError):
        return exc
    if isinstance(exc, CodegenError | ConfigurationError | ContractError):
        return CommandError(str(exc), code=EXIT_USAGE)
    if isinstance(exc, BrokerUnreachable):
        return CommandError(str(exc), hint="is RabbitMQ running? " + _URL_HINT, code=EXIT_BROKER)
    if isinstance(exc, AccessRefused):
        return CommandError(str(exc), hint="check the user, password and vhost in the URL", code=EXIT_BROKER)
    if isinstance(exc, TopologyError) and exc.hint:
        return CommandError(str(exc), hint=exc.hint, code=EXIT_BROKER)
    if isinstance(exc, TopologyError | TransportError):
        return CommandError(str(exc), hint=_URL_HINT, code=EXIT_BROKER)
    if isinstance(exc, BurrowError):
        return CommandError(str(exc), code=EXIT_FAILED)
    return CommandError(
        f"unexpected {type(exc).__name__}: {exc}",
        hint="this is a bug in burrow; run again with --debug for the traceback and report it",
        code=EXIT_INTERNAL,
    )
