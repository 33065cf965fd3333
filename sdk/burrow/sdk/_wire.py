"""Names that travel on the wire: header keys and protocol constants.

``docs/protocol.md`` describes each of them; changing one is a protocol change.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_EXCHANGE",
    "HEADER_ATTEMPT",
    "HEADER_CONTRACT",
    "HEADER_DEAD_REASON",
    "HEADER_DEADLINE",
    "HEADER_DELIVERIES",
    "HEADER_DELIVERY_COUNT",
    "HEADER_DUE",
    "HEADER_ERROR_MESSAGE",
    "HEADER_ERROR_TYPE",
    "HEADER_FAILED_AT",
    "HEADER_FINGERPRINT",
    "HEADER_FIRST_FAILED_AT",
    "HEADER_ORIGINAL_EXCHANGE",
    "HEADER_ORIGINAL_QUEUE",
    "HEADER_ORIGINAL_ROUTING_KEY",
    "HEADER_RAW_PROPERTIES",
    "HEADER_REPLAY",
    "HEADER_REPLY",
    "HEADER_SCHEDULE",
    "HEADER_SCHEDULE_VERSION",
    "HEADER_TICK",
    "PROTOCOL_VERSION",
    "REPLY_ERROR",
    "REPLY_RESULT",
]

PROTOCOL_VERSION = 1
DEFAULT_EXCHANGE = "burrow"

HEADER_ATTEMPT = "x-burrow-attempt"  # 1 for the first delivery attempt
HEADER_DEADLINE = "x-burrow-deadline"  # epoch milliseconds after which nobody waits for the result
HEADER_FINGERPRINT = "x-burrow-fingerprint"  # hash of the request schema the sender used
HEADER_DUE = "x-burrow-due"  # epoch milliseconds before which a delayed message must not be handled
HEADER_DELIVERIES = "x-burrow-deliveries"  # classic queues: deliveries so far that were not settled, plus this one
HEADER_DELIVERY_COUNT = "x-delivery-count"  # quorum queues: set by RabbitMQ, earlier deliveries returned unsettled

# Set on a scheduled task and on the tick that sends it (docs/schedules.md).
HEADER_SCHEDULE = "x-burrow-schedule"  # the schedule's wire name, <service>.<schedule>
HEADER_TICK = "x-burrow-tick"  # epoch milliseconds: the tick time the message stands for
HEADER_SCHEDULE_VERSION = "x-burrow-schedule-version"  # on ticks only: the schedule's fingerprint

# Set on a call's reply: what its body holds (docs/calls.md).
HEADER_REPLY = "x-burrow-reply"
REPLY_RESULT = "result"  # the body is the call's result
REPLY_ERROR = "error"  # the body is an error envelope

# Set on a message moved to a dead-letter queue.
HEADER_DEAD_REASON = "x-burrow-dead-reason"  # one of server.DeadReason's values
HEADER_CONTRACT = "x-burrow-contract"
HEADER_ERROR_TYPE = "x-burrow-error-type"
HEADER_ERROR_MESSAGE = "x-burrow-error-message"
HEADER_FAILED_AT = "x-burrow-failed-at"  # epoch milliseconds (the last failure)
HEADER_FIRST_FAILED_AT = "x-burrow-first-failed-at"  # epoch milliseconds; kept across retries
HEADER_ORIGINAL_EXCHANGE = "x-burrow-original-exchange"
HEADER_ORIGINAL_ROUTING_KEY = "x-burrow-original-routing-key"
HEADER_ORIGINAL_QUEUE = "x-burrow-original-queue"
HEADER_REPLAY = "x-burrow-replay"  # set on a replayed copy: the replay run it came from

# Set on a message whose properties could not be decoded at all: their raw bytes.
HEADER_RAW_PROPERTIES = "x-burrow-raw-properties"
