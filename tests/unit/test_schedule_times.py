"""When schedules tick: intervals from the epoch, cron in a time zone across DST changes.

Cron fields are evaluated by cronsim; these tests pin the semantics
docs/schedules.md promises, and that ``Schedule.next_after`` follows the library.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import cronsim
import pytest
from burrow.sdk import Service, Task
from burrow.sdk._schedule import tick_id

PARIS = ZoneInfo("Europe/Paris")

clock = Service("clock")


@clock.task("chime")
class Chime(Task, frozen=True):
    pass


daily = clock.schedule("daily", Chime(), cron="30 2 * * *", timezone="Europe/Paris")
half_hourly = clock.schedule("half_hourly", Chime(), cron="*/30 * * * *", timezone="Europe/Paris")
every_seven = clock.schedule("every_seven", Chime(), every=timedelta(seconds=7))


def ticks(schedule_name: str, start: datetime, count: int) -> list[datetime]:
    schedule = clock.schedules[schedule_name]
    found, moment = [], start.timestamp()
    for _ in range(count):
        moment = schedule.next_after(moment)
        found.append(datetime.fromtimestamp(moment, PARIS))
    return found


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def test_a_daily_time_skipped_by_the_spring_change_fires_at_the_first_valid_minute() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
    assert ticks("daily", paris(2026, 3, 28, 12), 3) == [
        paris(2026, 3, 29, 3, 0),
        paris(2026, 3, 30, 2, 30),
        paris(2026, 3, 31, 2, 30),
    ]


def test_a_daily_time_repeated_by_the_autumn_change_fires_once() -> None:
    # 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice, the job runs at the first.
    found = ticks("daily", paris(2026, 10, 24, 12), 2)
    assert found == [paris(2026, 10, 25, 2, 30), paris(2026, 10, 26, 2, 30)]
    assert found[0].astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_repeating_field_fires_in_both_repeated_hours() -> None:
    found = [moment.astimezone(UTC) for moment in ticks("half_hourly", paris(2026, 10, 25, 1, 45), 5)]
    assert found == [
        datetime(2026, 10, 25, hour, minute, tzinfo=UTC) for hour, minute in ((0, 0), (0, 30), (1, 0), (1, 30), (2, 0))
    ]


@pytest.mark.parametrize("expression", ["30 2 * * *", "*/30 * * * *", "0 */3 * * 1-5", "15 1,2,3 * * *"])
@pytest.mark.parametrize("start", [paris(2026, 3, 27), paris(2026, 10, 23)], ids=["spring", "autumn"])
def test_next_after_follows_cronsim_through_a_dst_week(expression: str, start: datetime) -> None:
    service = Service("probe")

    @service.task("job")
    class Job(Task, frozen=True):
        pass

    schedule = service.schedule("probe", Job(), cron=expression, timezone="Europe/Paris")
    expected: list[float] = []
    for moment in cronsim.CronSim(expression, start):
        if moment > start + timedelta(days=5):
            break
        expected.append(moment.timestamp())
    found: list[float] = []
    moment_ts = start.timestamp()
    while len(found) < len(expected):
        moment_ts = schedule.next_after(moment_ts)
        found.append(moment_ts)
    assert found == expected


def test_intervals_count_from_the_epoch_so_every_worker_finds_the_same_ticks() -> None:
    assert every_seven.next_after(0) == 7
    assert every_seven.next_after(6.999) == 7
    assert every_seven.next_after(7) == 14
    assert every_seven.next_after(1_764_460_800.5) == 1_764_460_803  # 7 * 252,065,829


def test_a_tick_id_names_the_schedule_and_the_tick_time_in_utc() -> None:
    assert tick_id("clock.daily", paris(2026, 10, 25, 2, 30).timestamp()) == "clock.daily@2026-10-25T00:30:00.000Z"
    assert tick_id("clock.every_seven", 7.25) == "clock.every_seven@1970-01-01T00:00:07.250Z"


def test_the_fingerprint_changes_with_what_fires_and_when() -> None:
    fingerprints = set()
    for index, (cron, every, zone) in enumerate(
        [
            ("30 2 * * *", None, "Europe/Paris"),
            ("30 2 * * *", None, "UTC"),
            ("31 2 * * *", None, "UTC"),
            (None, timedelta(seconds=7), "UTC"),
        ]
    ):
        service = Service(f"fp{index}")

        @service.task("chime")
        class Same(Task, frozen=True):
            pass

        fingerprints.add(service.schedule("s", Same(), cron=cron, every=every, timezone=zone).fingerprint)
    assert len(fingerprints) == 4
