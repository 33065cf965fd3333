"""aio-pika's and aiormq's failures in Burrow's terms: every foreign exception is mapped here, once."""

from __future__ import annotations

import contextlib
import os
import urllib.parse
from collections.abc import Iterator

import aiormq
import aiormq.exceptions
import pamqp.exceptions
from burrow.sdk._errors import (
    AccessRefused,
    BrokerUnreachable,
    ConnectionLost,
    PublishError,
    TopologyError,
    TransportError,
    Unroutable,
)

__all__ = ["connect_error", "mapped_errors", "redacted"]


@contextlib.contextmanager
def mapped_errors(action: str) -> Iterator[None]:
    """Translate aio-pika/aiormq failures into Burrow's exception tree."""
    try:
        yield
    except aiormq.exceptions.PublishError as exc:
        frame = exc.frame
        raise Unroutable(getattr(frame, "exchange", "?"), getattr(frame, "routing_key", "?")) from exc
    except aiormq.exceptions.DeliveryError as exc:
        raise PublishError(f"the broker refused the message while {action}: {exc.frame!r}") from exc
    except aiormq.exceptions.ChannelPreconditionFailed as exc:
        raise TopologyError(f"the broker refused {action}: {exc}") from exc
    except aiormq.exceptions.ChannelNotFoundEntity as exc:
        raise TopologyError(f"the broker found no such entity while {action}: {exc}") from exc
    except aiormq.exceptions.ChannelAccessRefused as exc:
        raise TopologyError(f"access refused while {action}: {exc}") from exc
    except aiormq.exceptions.ConnectionInternalError as exc:
        if "feature flag" not in str(exc):
            raise ConnectionLost(f"the connection to the broker failed while {action}: {exc!r}") from exc
        # e.g. quorum queues (the delay cascade) on a node upgraded without enabling its flags
        raise TopologyError(
            f"the broker refused {action} because a feature flag is disabled: {exc}; "
            "enable it with `rabbitmqctl enable_feature_flag all`"
        ) from exc
    except (
        aiormq.exceptions.AMQPError,
        aiormq.exceptions.ChannelInvalidStateError,
        pamqp.exceptions.PAMQPException,
        ConnectionError,
        OSError,
    ) as exc:
        raise ConnectionLost(f"the connection to the broker failed while {action}: {exc!r}") from exc
    except Exception as exc:
        if type(exc) is not Exception:
            raise
        # What aiormq sets on the futures (a confirm, a write) of a channel or
        # connection that closed without a reason: the broker went away.
        raise ConnectionLost(f"the connection to the broker was closed while {action}") from exc


def redacted(url: str) -> str:
    """Hide the password in a URL before it reaches a log or an error."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def connect_error(url: str, exc: BaseException) -> TransportError:
    """Why a connection could not be opened, in terms of the URL the user gave."""
    parts = urllib.parse.urlsplit(url)
    user = urllib.parse.unquote(parts.username or "guest")
    vhost = urllib.parse.unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    where = f"RabbitMQ at {redacted(url)}"
    if isinstance(exc, aiormq.exceptions.ProbableAuthenticationError):
        return AccessRefused(f"{where} refused the login of user {user!r}: wrong user name or password")
    if isinstance(exc, aiormq.exceptions.ProtocolSyntaxError):
        # The broker closes the handshake instead of opening the vhost.
        return AccessRefused(
            f"{where} refused user {user!r} access to vhost {vhost!r}: "
            "it does not exist, or the user has no permission on it"
        )
    if isinstance(exc, (ConnectionError, OSError)):
        return BrokerUnreachable(f"cannot reach {where}: {_os_reason(exc)}")
    return TransportError(f"cannot connect to {where}: {exc}")


def _os_reason(exc: BaseException) -> str:
    # aiormq wraps the socket error as (errno, text); the errno's own words read better
    # ("Connection refused") than asyncio's "Connect call failed ('127.0.0.1', 1)".
    match exc.args:
        case (int(code), str()) if code > 0:
            return os.strerror(code)
        case (int(), str(text)):
            return text  # a resolver error: "Name or service not known"
    return str(exc)
