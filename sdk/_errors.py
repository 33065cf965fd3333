"""Burrow's exceptions.

The tree is shallow on purpose; catch ``BurrowError`` for "anything Burrow raised".

    BurrowError
    ├── ConfigurationError       a contract, binding or option is declared wrongly
    ├── ContractError            a message does not fit its contract (encode or decode)
    ├── ClientStateError         the client or worker is used in the wrong lifecycle state
    ├── TransportError           talking to the broker failed
    │   ├── ConnectionLost       the connection dropped; the outcome of the operation is unknown
    │   ├── TopologyError        the broker refused a queue or exchange declaration
    │   └── PublishError         the broker did not take responsibility for a message
    │       └── Unroutable       no queue is bound for the message's routing key
    └── CallError                a call did not produce its result
"""

from __future__ import annotations

__all__ = [
    "BurrowError",
    "CallError",
    "ClientStateError",
    "ConfigurationError",
    "ConnectionLost",
    "ContractError",
    "PublishError",
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


class ConnectionLost(TransportError):
    """Raised when the connection drops during an operation.

    The operation may or may not have taken effect on the broker; a publish
    that raised this was *not* confirmed and may be retried (at-least-once).
    """


class TopologyError(TransportError):
    """Raised when the broker refuses to declare a queue, exchange or binding.

    The usual cause is an existing queue declared with other arguments (for
    example ``classic`` here and ``quorum`` elsewhere).
    """


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
