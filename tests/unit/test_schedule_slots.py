"""Daily slots: when an entry is due, which missed slot fires after downtime, day boundaries,
and the HH:MM settings they come from."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from infra.settings import Settings, SettingsError
from streams.schedules.daily import Daily, next_due, slot_to_fire

AT_2 = Daily(time(2, 0))


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def test_the_latest_due_slot_is_today_once_the_time_has_come_else_yesterday() -> None:
    assert AT_2.latest_due(utc(27, 1, 59, 59)) == utc(26, 2)
    assert AT_2.latest_due(utc(27, 2)) == utc(27, 2)  # due at the very moment
    assert AT_2.latest_due(utc(27, 23, 59)) == utc(27, 2)
    assert AT_2.next_after(utc(27, 2)) == utc(28, 2)
    assert AT_2.next_after(utc(27, 1)) == utc(27, 2)


def test_day_month_and_year_boundaries() -> None:
    midnight = Daily(time(0, 0))
    assert midnight.latest_due(datetime(2027, 1, 1, 0, 0, tzinfo=UTC)) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    late = Daily(time(23, 59))
    assert late.latest_due(datetime(2027, 1, 1, 0, 30, tzinfo=UTC)) == datetime(
        2026, 12, 31, 23, 59, tzinfo=UTC
    )
    assert late.next_after(datetime(2028, 2, 28, 23, 59, tzinfo=UTC)) == datetime(
        2028, 2, 29, 23, 59, tzinfo=UTC
    )


def test_slots_are_utc_whatever_zone_the_clock_reads_in() -> None:
    tokyo = timezone(timedelta(hours=9))
    # 10:30 in Tokyo is 01:30 UTC: the 02:00 UTC slot of that day has not come yet.
    assert AT_2.latest_due(datetime(2026, 11, 27, 10, 30, tzinfo=tokyo)) == utc(26, 2)
    with pytest.raises(ValueError, match="no time zone"):
        AT_2.latest_due(datetime(2026, 11, 27, 3, 0))  # naive: the point of the test


def test_a_due_slot_fires_once() -> None:
    armed = utc(20, 12)
    assert slot_to_fire(AT_2, utc(27, 2, 0, 1), armed, utc(26, 2)) == utc(27, 2)
    assert slot_to_fire(AT_2, utc(27, 2, 0, 2), armed, utc(27, 2)) is None
    assert slot_to_fire(AT_2, utc(27, 1), armed, utc(26, 2)) is None  # not yet due


def test_after_downtime_only_the_most_recent_missed_slot_fires() -> None:
    # Last fired on the 20th, down until the 27th at 09:00: one run, for the 27th's slot.
    assert slot_to_fire(AT_2, utc(27, 9), utc(1, 0), utc(20, 2)) == utc(27, 2)
    # Down from before the 27th's slot until just before it: the 26th's slot.
    assert slot_to_fire(AT_2, utc(27, 1, 59), utc(1, 0), utc(20, 2)) == utc(26, 2)


def test_a_new_entry_starts_at_its_next_slot() -> None:
    armed = utc(27, 9)  # first seen after today's slot
    assert slot_to_fire(AT_2, utc(27, 9), armed, None) is None
    assert slot_to_fire(AT_2, utc(28, 1, 59), armed, None) is None
    assert slot_to_fire(AT_2, utc(28, 2), armed, None) == utc(28, 2)
    # Armed at the slot's very moment: that slot is the entry's first.
    assert slot_to_fire(AT_2, utc(27, 2, 0, 5), utc(27, 2), None) == utc(27, 2)


def test_a_clock_that_went_back_never_fires_an_older_slot() -> None:
    assert slot_to_fire(AT_2, utc(25, 3), utc(1, 0), utc(26, 2)) is None


def test_next_due_is_an_overdue_slot_or_the_next_one() -> None:
    armed = utc(1, 0)
    assert next_due(AT_2, utc(27, 9), armed, utc(26, 2)) == utc(27, 2)  # overdue
    assert next_due(AT_2, utc(27, 9), armed, utc(27, 2)) == utc(28, 2)
    assert next_due(AT_2, utc(27, 1), None, None) == utc(27, 2)  # never seen: next slot


def test_times_of_day_come_from_the_settings() -> None:
    settings = Settings.from_env({})
    assert (settings.backup_at, settings.report_at, settings.backup_keep) == (
        time(2, 0),
        time(0, 15),
        7,
    )
    custom = Settings.from_env(
        {
            "VERACHAIN_BACKUP_AT": "23:05",
            "VERACHAIN_REPORT_AT": "00:00",
            "VERACHAIN_BACKUP_KEEP": "3",
        }
    )
    assert (custom.backup_at, custom.report_at, custom.backup_keep) == (time(23, 5), time(0), 3)
    assert Settings.from_env(custom.to_env()).backup_at == time(23, 5)  # children see it too


@pytest.mark.parametrize("raw", ["24:00", "2:00", "02:60", "0200", "02:00:00", "noon", "-1:00"])
def test_a_malformed_time_of_day_is_one_clear_line(raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"VERACHAIN_BACKUP_AT": raw})
    assert str(refused.value) == f"VERACHAIN_BACKUP_AT must be HH:MM (24-hour, UTC), got {raw!r}"


@pytest.mark.parametrize("raw", ["0", "-2", "seven"])
def test_backup_keep_must_be_a_positive_integer(raw: str) -> None:
    with pytest.raises(SettingsError, match="VERACHAIN_BACKUP_KEEP"):
        Settings.from_env({"VERACHAIN_BACKUP_KEEP": raw})
