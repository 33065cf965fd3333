"""OpenTelemetry tracing for Burrow, as a hook (``pip install burrow-mq[otel]``).

    from burrow.sdk.otel import TracingHook

    client = Client.connect(url, hooks=[TracingHook()])
    worker = Worker(url, hooks=[TracingHook()])

Spans follow the OpenTelemetry semantic conventions for messaging on RabbitMQ:

- a task send is a ``PRODUCER`` span, ``publish <exchange>:<routing key>``;
- a call is one ``CLIENT`` span around publish and reply, and one ``SERVER``
  span where it is handled;
- a handled task is a ``CONSUMER`` span, ``process <exchange>:<routing key>:<queue>``.

The trace context travels in the W3C ``traceparent`` and ``tracestate`` headers
(the globally configured propagator's). A handled message's span is the child
of its sender's span and is current while the handler runs, so the handler's
own sends and calls (through a client with this hook) join the same trace.
The worker's own publishes (a call's reply, a retry, a dead letter) are
``PRODUCER`` spans inside the handling span, and carry their own context: a
retried message's next attempt is a child of the retry's publish span, in the
same trace. Retries and delayed deliveries also link to the span that sent them.

This module imports ``opentelemetry``; ``burrow.sdk`` itself never does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from burrow.sdk._hooks import Handling, Hook, Outcome, Sending
from burrow.sdk._wire import HEADER_DUE
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

__all__ = ["TracingHook"]

# Attribute names of the messaging semantic conventions (tests check them against
# the opentelemetry-semantic-conventions package, which is not a runtime dependency).
SYSTEM = "messaging.system"
OPERATION_NAME = "messaging.operation.name"
OPERATION_TYPE = "messaging.operation.type"
DESTINATION_NAME = "messaging.destination.name"
MESSAGE_ID = "messaging.message.id"
CONVERSATION_ID = "messaging.message.conversation_id"
ROUTING_KEY = "messaging.rabbitmq.destination.routing_key"
TEMPORARY = "messaging.destination.temporary"
ERROR_TYPE = "error.type"
# Burrow's own, in its namespace.
CONTRACT = "burrow.contract"
ATTEMPT = "burrow.attempt"
OUTCOME = "burrow.outcome"
DEAD_REASON = "burrow.dead_reason"
PUBLISHED = "burrow.published"  # what a worker's own publish is: reply, retry, dead-letter or requeue

_FAILED = frozenset({Outcome.ERROR, Outcome.RETRIED, Outcome.DEAD_LETTERED})


class TracingHook(Hook):
    """Traces sends, calls and handled messages with OpenTelemetry.

    Args:
        tracer_provider: where spans go; default: the global one.
    """

    def __init__(self, tracer_provider: trace.TracerProvider | None = None) -> None:
        self._tracer = trace.get_tracer("burrow", tracer_provider=tracer_provider)

    async def around_send(self, message: Sending, proceed: Callable[[], Awaitable[Any]]) -> Any:
        destination = _destination(message.exchange, message.routing_key)
        kind = SpanKind.CLIENT if message.kind == "call" else SpanKind.PRODUCER
        attributes = _publish_attributes(message, destination)
        with self._tracer.start_as_current_span(
            f"publish {destination}", kind=kind, attributes=attributes, record_exception=True
        ) as span:
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            message.headers.update(carrier)
            try:
                return await proceed()
            except Exception as exc:
                span.set_attribute(ERROR_TYPE, type(exc).__qualname__)
                raise
            finally:
                if message.reply_headers is not None:
                    _link_reply(span, message.reply_headers)

    async def around_publish(self, message: Sending, proceed: Callable[[], Awaitable[None]]) -> None:
        # A reply goes to the caller's temporary reply queue: named in an attribute, not in the
        # span name, which the conventions keep to destinations of low cardinality.
        temporary = message.kind == "reply"
        destination = _destination(message.exchange, message.routing_key)
        attributes = {**_publish_attributes(message, destination), PUBLISHED: message.kind}
        if temporary:
            attributes[TEMPORARY] = True
        name = "publish (temporary)" if temporary else f"publish {destination}"
        with self._tracer.start_as_current_span(
            name, kind=SpanKind.PRODUCER, attributes=attributes, record_exception=True
        ) as span:
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            message.headers.update(carrier)
            try:
                await proceed()
            except Exception as exc:
                span.set_attribute(ERROR_TYPE, type(exc).__qualname__)
                raise

    async def around_handle(self, message: Handling, proceed: Callable[[], Awaitable[None]]) -> None:
        sender = propagate.extract(_text_headers(message.headers))
        links: list[Link] = []
        if message.attempt > 1 or HEADER_DUE in message.headers:
            # Delivered later than sent (a delay or a retry): also a link, as the conventions
            # advise for messages processed apart from their sending.
            sent = trace.get_current_span(sender).get_span_context()
            if sent.is_valid:
                links.append(Link(sent))
        destination = f"{_destination(message.exchange, message.routing_key)}:{message.queue}"
        attributes: dict[str, Any] = {
            SYSTEM: "rabbitmq",
            OPERATION_NAME: "process",
            OPERATION_TYPE: "process",
            DESTINATION_NAME: destination,
            ROUTING_KEY: message.routing_key,
            MESSAGE_ID: message.message_id,
            CONTRACT: message.contract,
            ATTEMPT: message.attempt,
        }
        if message.correlation_id:
            attributes[CONVERSATION_ID] = message.correlation_id
        kind = SpanKind.SERVER if message.kind == "call" else SpanKind.CONSUMER
        span = self._tracer.start_span(
            f"process {destination}", context=sender, kind=kind, attributes=attributes, links=links
        )
        token = otel_context.attach(trace.set_span_in_context(span, sender))
        try:
            await proceed()
        finally:
            otel_context.detach(token)
            span.set_attribute(OUTCOME, str(message.outcome))
            if message.dead_reason is not None:
                span.set_attribute(DEAD_REASON, message.dead_reason)
            if message.exception is not None:
                span.record_exception(message.exception)
            if message.outcome in _FAILED or message.exception is not None:
                span.set_attribute(ERROR_TYPE, _error_type(message))
                span.set_status(Status(StatusCode.ERROR, str(message.outcome)))
            span.end()


def _link_reply(span: trace.Span, headers: dict[str, Any]) -> None:
    """Link a call's span to its reply's publish when the worker traced it in a trace of its own.

    A worker that continues the caller's trace needs no link: its reply is a
    descendant of this span already.
    """
    replied = trace.get_current_span(propagate.extract(_text_headers(headers))).get_span_context()
    if replied.is_valid and replied.trace_id != span.get_span_context().trace_id:
        span.add_link(replied)


def _publish_attributes(message: Sending, destination: str) -> dict[str, Any]:
    """The messaging attributes of a publish span, a client's or the worker's own."""
    return {
        SYSTEM: "rabbitmq",
        OPERATION_NAME: "publish",
        OPERATION_TYPE: "send",
        DESTINATION_NAME: destination,
        ROUTING_KEY: message.routing_key,
        MESSAGE_ID: message.message_id,
        CONTRACT: message.contract,
    }


def _destination(exchange: str, routing_key: str) -> str:
    """The conventions' RabbitMQ destination: ``exchange:routing key``, or whichever is set."""
    if exchange and routing_key:
        return f"{exchange}:{routing_key}"
    return exchange or routing_key or "amq.default"


def _text_headers(headers: dict[str, Any]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if isinstance(value, str)}


def _error_type(message: Handling) -> str:
    if message.exception is not None:
        return type(message.exception).__qualname__
    return message.dead_reason or str(message.outcome)
