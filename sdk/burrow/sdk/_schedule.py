"""Schedules: a task sent with a fixed payload on a cron expression or a fixed interval.

A schedule belongs to the service that owns its task and is declared next to it::

    cleanup.schedule("purge_nightly", PurgeTemp(older_than=86400), cron="0 3 * * *", timezone="Europe/Paris")
    cleanup.schedule("heartbeat", Ping(), every=timedelta(minutes=5))

Workers that serve the service run it (``burrow.server``; docs/schedules.md): no
separate beat process. This module only holds the declaration and its time
arithmetic, so that codegen, the lock and the command line can read it.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import cronsim
import msgspec
from burrow.sdk._codec import JSON, encode
from burrow.sdk._errors import ConfigurationError

if TYPE_CHECKING:
    from burrow.sdk._contract import ContractInfo, Task

__all__ = ["Missed", "Schedule", "ScheduleQueues", "tick_id"]

Missed = Literal["once", "skip"]
"""What a tick found late (a later tick was already due) does: fire once, or not at all."""

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MIN_INTERVAL = timedelta(seconds=1)


class Schedule:
    """One declared schedule. Made by ``Service.schedule``; immutable.

    Attributes:
        name: unique within the service; ``wire_name`` is ``<service>.<name>``.
        contract: the task it sends.
        message: the payload every tick sends.
        cron: a five-field cron expression, or None for an interval schedule.
        every: the interval, or None for a cron schedule.
        timezone: the IANA zone cron fields are read in (intervals ignore it).
        missed: ``"once"`` fires a late tick once, ``"skip"`` drops it.
    """

    __slots__ = ("_fingerprint", "_zone", "contract", "cron", "every", "message", "missed", "name", "timezone")

    def __init__(
        self,
        *,
        name: str,
        contract: ContractInfo,
        message: Task,
        cron: str | None,
        every: timedelta | None,
        timezone: str,
        missed: Missed,
    ) -> None:
        where = f"schedule {contract.service.name}.{name}"
        if not _NAME.match(name):
            raise ConfigurationError(f"{where}: the name is not valid: use lowercase letters, digits and _")
        if (cron is None) == (every is None):
            raise ConfigurationError(f"{where}: pass exactly one of cron= and every=")
        if every is not None and every < MIN_INTERVAL:
            raise ConfigurationError(f"{where}: every= must be at least 1 second, got {every}")
        if missed not in ("once", "skip"):
            raise ConfigurationError(f"{where}: missed= must be 'once' or 'skip', got {missed!r}")
        try:
            self._zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(
                f"{where}: unknown time zone {timezone!r} (use an IANA name such as 'UTC')"
            ) from None
        if cron is not None:
            if len(cron.split()) != 5:
                raise ConfigurationError(
                    f"{where}: cron={cron!r} must have five fields (minute hour day month weekday)"
                )
            try:
                cronsim.CronSim(cron, datetime.now(self._zone))
            except cronsim.CronSimError as exc:
                raise ConfigurationError(f"{where}: cron={cron!r} is not valid: {exc}") from None
        self.name = name
        self.contract = contract
        self.message = message
        self.cron = cron
        self.every = every
        self.timezone = timezone
        self.missed: Missed = missed
        self._fingerprint = self._compute_fingerprint()

    @property
    def wire_name(self) -> str:
        return f"{self.contract.service.name}.{self.name}"

    @property
    def body(self) -> bytes:
        """The payload as JSON, as every tick sends it."""
        return encode(self.message, JSON, label=self.contract.wire_name)

    @property
    def fingerprint(self) -> str:
        """A short hash of everything that decides what fires and when.

        A change to the expression, interval, zone, policy, task or payload gives a
        new fingerprint, hence new queues: the old version's pending tick is left
        behind, never fired by a worker of the new version.
        """
        return self._fingerprint

    def _compute_fingerprint(self) -> str:
        document = {
            "contract": self.contract.wire_name,
            "payload": msgspec.json.decode(self.body),
            "cron": self.cron,
            "every_ms": None if self.every is None else round(self.every.total_seconds() * 1000),
            "timezone": self.timezone if self.cron is not None else None,
            "missed": self.missed,
        }
        return hashlib.sha256(msgspec.json.encode(document, order="sorted")).hexdigest()[:12]

    @property
    def expression(self) -> str:
        """``cron 0 3 * * * Europe/Paris`` or ``every 300s``, for listings."""
        if self.cron is not None:
            return f"cron {self.cron} {self.timezone}"
        assert self.every is not None
        return f"every {self.every.total_seconds():g}s"

    def next_after(self, moment: float) -> float:
        """The first tick strictly after ``moment`` (seconds since the epoch)."""
        if self.every is not None:
            # Multiples of the interval since the epoch: every worker finds the same ticks.
            step = round(self.every.total_seconds() * 1000)
            return (math.floor(moment * 1000) // step + 1) * step / 1000
        assert self.cron is not None
        start = datetime.fromtimestamp(moment, UTC).astimezone(self._zone)
        found: datetime = next(iter(cronsim.CronSim(self.cron, start)))
        return found.timestamp()

    def __repr__(self) -> str:
        return f"<Schedule {self.wire_name} {self.expression} -> {self.contract.wire_name}>"


def tick_id(schedule: str, tick: float) -> str:
    """The message id of a tick's task: the same for every copy of that tick.

    ``cleanup.purge_nightly@2026-11-30T02:00:00.000Z``
    """
    moment = datetime.fromtimestamp(round(tick * 1000) / 1000, UTC)
    return f"{schedule}@{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{moment.microsecond // 1000:03d}Z"


class ScheduleQueues:
    """Names and arguments of one schedule version's two queues (docs/schedules.md).

    ``slot`` holds the one pending tick: ``x-max-length=1`` with ``reject-publish``
    refuses a second, so racing workers cannot start a second chain. The tick's
    per-message TTL ends at its due time, when it is dead-lettered to ``due``,
    which workers consume with a single active consumer.
    """

    def __init__(self, exchange: str, schedule: Schedule) -> None:
        base = f"{exchange}.schedule.{schedule.wire_name}.{schedule.fingerprint}"
        self.slot = f"{base}.slot"
        self.due = f"{base}.due"
        self.paused = f"{base}.paused"

    def slot_arguments(self) -> dict[str, object]:
        return {
            "x-max-length": 1,
            "x-overflow": "reject-publish",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": self.due,
        }

    @staticmethod
    def due_arguments() -> dict[str, object]:
        return {"x-single-active-consumer": True}
