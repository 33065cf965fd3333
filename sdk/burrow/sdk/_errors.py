"""Burrow's exceptions.

The tree is shallow on purpose; catch ``BurrowError`` for "anything Burrow raised".

    BurrowError
    ├── ConfigurationError       a contract, binding or option is declared wrongly
    ├── ContractError            a message does not fit its contract (encode or decode)
    ├── ClientStateError         the client or worker is used in the wrong lifecycle state
    ├── TransportError           talking to the broker failed
    │   ├── BrokerUnreachable    no broker answers at the URL (not running, wrong host or port)
    │   ├── AccessRefused        the broker refused the URL's user, password or vhost
    │   ├── ConnectionLost       the connection dropped; the outcome of the operation is unknown
    │   ├── TopologyError        the broker refused a queue or exchange declaration
    │   └── PublishError         the broker did not take responsibility for a message
    │       └── Unroutable       no queue is bound for the message's routing key
    └── CallError                a call did not produce its result
        ├── CallTimeout          no reply came within the call's deadline
        ├── DeclaredError        the handler answered with one of the contract's declared errors
        └── RemoteError          the handler failed with an error the contract does not declare
"""

from __future__ import annotations

from typing import TypeVar

import msgspec

__all__ = [
    "AccessRefused",
    "BrokerUnreachable",
    "BurrowError",
    "CallError",
    "CallTimeout",
    "ClientStateError",
    "ConfigurationError",
    "ConnectionLost",
    "ContractError",
    "DeclaredError",
    "PublishError",
    "RemoteError",
    "TopologyError",
    "TransportError",
    "Unroutable",
]


class BurrowError(Exception):
    """Base class of every exception Burrow raises."""


class ConfigurationError(BurrowError):
    """Raised when a contract, binding or option is declared wrongly."""


class ContractError(BurrowError):
    """Raised when a message does not encode or decode as its contract says.

    The message starts with the contract's wire name, followed by msgspec's
    own description and path, e.g.
    ``cleanup.delete_file: Expected `str`, got `int` - at `$.path```.
    """

    def __init__(self, contract: str, detail: str) -> None:
        super().__init__(f"{contract}: {detail}")
        self.contract = contract
        self.detail = detail


class ClientStateError(BurrowError):
    """Raised when a client or worker is used before it is opened or after it is closed."""


class TransportError(BurrowError):
    """Raised when talking to the broker fails."""


class BrokerUnreachable(TransportError):
    """Raised when no broker answers at the URL: it is not running, or the host or port is wrong.

    Worth retrying while a deployment starts the broker and its services together.
    """


class AccessRefused(TransportError):
    """Raised when the broker refuses the URL's credentials, or the user's access to its vhost.

    Not worth retrying: fix the user name, password or vhost in the URL.
    """


class ConnectionLost(TransportError):
    """Raised when the connection drops during an operation.

    The operation may or may not have taken effect on the broker; a publish
    that raised this was *not* confirmed and may be retried (at-least-once).
    """


class TopologyError(TransportError):
    """Raised when the broker refuses to declare a queue, exchange or binding.

    The usual cause is an existing queue declared with other arguments (for
    example ``classic`` here and ``quorum`` elsewhere). ``hint`` says what to do
    about it, when Burrow can tell (the command line prints it on a line of its own).
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class PublishError(TransportError):
    """Raised when the broker refuses responsibility for a message (a negative confirm)."""


class Unroutable(PublishError):
    """Raised when no queue is bound for a message's routing key.

    The broker returned the message instead of storing it; nothing was sent.
    Declare the service's queue (any client or worker of the service does) or
    check the routing key.
    """

    def __init__(self, exchange: str, routing_key: str) -> None:
        super().__init__(
            f"no queue is bound to exchange {exchange!r} for routing key {routing_key!r}; "
            "the message was returned by the broker and not stored"
        )
        self.exchange = exchange
        self.routing_key = routing_key


class CallError(BurrowError):
    """Raised when a call did not produce its result."""


class CallTimeout(CallError):
    """Raised when no reply arrives within a call's deadline.

    The request expires unserved if no worker started it in time; a worker
    that did start it may still finish it (handlers should be idempotent).
    """

    def __init__(self, contract: str, waited: float, detail: str = "") -> None:
        reason = detail or "is a worker serving it? If it is just slow, allow more time with timeout="
        super().__init__(f"{contract}: no reply within {waited:.3g} s; {reason}")
        self.contract = contract
        self.waited = waited


E = TypeVar("E", bound=msgspec.Struct)


class DeclaredError(CallError):
    """Raised when a call's handler answers with one of the contract's declared error Structs.

    A handler raises it to answer with a declared error; the caller's ``await``
    raises it again with the same Struct, decoded, in ``error``:

        # worker
        raise DeclaredError(FileMissing(path=task.path))

        # caller
        try:
            info = await client.call(StatFile(path="a.png"))
        except DeclaredError as exc:
            if missing := exc.get(FileMissing):
                ...  # missing is a FileMissing

    Attributes:
        error: the declared error Struct.
        contract: the call's wire name (empty when raised by a handler).
    """

    def __init__(self, error: msgspec.Struct, *, contract: str = "") -> None:
        super().__init__(f"{contract}: {error!r}" if contract else repr(error))
        self.error = error
        self.contract = contract

    def get(self, kind: type[E]) -> E | None:
        """``error`` if it is a ``kind``, else ``None``: a typed way to pick one declared error."""
        return self.error if isinstance(self.error, kind) else None


class RemoteError(CallError):
    """Raised when a call's handler failed with an error its contract does not declare.

    It carries the error's type name and message, never the worker's traceback
    (that is in the worker's log).

    Attributes:
        contract: the call's wire name.
        code: the reply's error code (``failed``, or ``bad-request`` when the worker
            could not decode the request or does not serve its contract).
        type: the name of the exception the handler raised, e.g. ``ValueError``.
        message: its message.
    """

    def __init__(self, contract: str, *, code: str, type: str, message: str) -> None:
        super().__init__(f"{contract}: the worker failed with {type}: {message}")
        self.contract = contract
        self.code = code
        self.type = type
        self.message = message
