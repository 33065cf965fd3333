"""The examples of docs/schedules.md, run; the page quotes them unchanged (checked below)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from burrow.sdk import ManualClock, Service, Task
from burrow.server import Context
from burrow.testing import burrow_harness

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("reports")

# --8<-- [start:declare]
reports = Service("reports")


@reports.task("build")
class BuildReport(Task, frozen=True, kw_only=True):
    kind: str


# Weekdays at 07:30 in Paris: cron fields are read in the schedule's time zone.
reports.schedule("morning", BuildReport(kind="daily"), cron="30 7 * * 1-5", timezone="Europe/Paris")
# Every five minutes (at :00, :05, ... UTC); a tick found late is dropped rather than sent.
reports.schedule("refresh", BuildReport(kind="cache"), every=timedelta(minutes=5), missed="skip")
# --8<-- [end:declare]


# --8<-- [start:handler]
async def build_report(task: BuildReport, ctx: Context) -> None:
    if ctx.schedule is not None:  # sent by a schedule, not by a client
        # ctx.tick is the tick time this task stands for; ctx.message_id is the tick id,
        # the same on every copy of one tick: use it to deduplicate.
        log.info("%s: tick %s (%s)", ctx.schedule, ctx.tick, ctx.message_id)
    ...


# --8<-- [end:handler]


async def test_a_day_of_ticks_in_the_harness() -> None:
    midnight = datetime(2026, 11, 30, tzinfo=UTC).timestamp()  # a Monday
    # --8<-- [start:harness]
    async with burrow_harness(lambda w: w.bind(BuildReport, build_report), clock=ManualClock(midnight)) as h:
        for _ in range(24 * 12):  # a day, five minutes at a time
            await h.advance(300)
        sent = h.sent(BuildReport)
    assert sent.count(BuildReport(kind="cache")) == 288
    assert sent.count(BuildReport(kind="daily")) == 1
    # --8<-- [end:harness]


def _section(source: str, name: str) -> str:
    start = source.index(f"# --8<-- [start:{name}]\n") + len(f"# --8<-- [start:{name}]\n")
    lines = source[start : source.index(f"# --8<-- [end:{name}]")].rstrip().splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines)


def test_the_page_quotes_the_tested_examples() -> None:
    source = Path(__file__).read_text()
    page = (ROOT / "docs/schedules.md").read_text()
    for name in ("declare", "handler", "harness"):
        assert _section(source, name) in page, f"docs/schedules.md is missing the {name!r} example"
