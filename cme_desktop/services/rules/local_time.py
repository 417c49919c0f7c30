"""The day it is in England: quarters, census days and retention turn on local dates.

A council's quarter ends at midnight in England, not at midnight UTC: from the
last Sunday of March to the last Sunday of October the clocks in England are an
hour ahead of UTC (British Summer Time), so between midnight and one in the
morning the UTC date is still the day before. Every "today" that decides a
period boundary is therefore the date in England whatever zone the computer's
own clock is set to, and a timestamp the program keeps in UTC
(``models.base.utcnow``: audit rows, escalation decisions) is turned into
England's day before it is counted.

The rule is the Summer Time Order 2002 (summer time from 01:00 UTC on the last
Sunday of March to 01:00 UTC on the last Sunday of October), worked out here
rather than read from a time-zone database, which Windows does not ship; the
tests check it against the ``Europe/London`` zone of the IANA database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

_HOUR = timedelta(hours=1)


def _last_sunday(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _summer_time(moment_utc: datetime) -> bool:
    """Whether summer time is in force in England at the naive UTC ``moment_utc``."""
    year = moment_utc.year
    starts = datetime.combine(_last_sunday(year, 3), time(1))
    ends = datetime.combine(_last_sunday(year, 10), time(1))
    return starts <= moment_utc < ends


def _as_naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def local_now(now: datetime | None = None) -> datetime:
    """The clock time in England (naive), now or at ``now`` (a naive ``now`` is UTC)."""
    moment = _as_naive_utc(datetime.now(UTC) if now is None else now)
    return moment + _HOUR if _summer_time(moment) else moment


def local_today(now: datetime | None = None) -> date:
    """The date in England, now or at ``now`` (read as in ``local_now``)."""
    return local_now(now).date()


def local_date_of_utc(moment: datetime) -> date:
    """The date in England of a naive UTC timestamp (as ``models.base.utcnow`` keeps them)."""
    return local_now(moment).date()


def utc_start_of_local_day(day: date) -> datetime:
    """The naive UTC time at which ``day`` begins in England (midnight on its clocks).

    The clocks change at 01:00 UTC, never at local midnight, so every local day has
    exactly one start: an hour before UTC midnight while summer time is in force.
    """
    midnight = datetime.combine(day, time())
    summer = _last_sunday(day.year, 3) < day <= _last_sunday(day.year, 10)
    return midnight - _HOUR if summer else midnight


def utc_end_of_local_day(day: date) -> datetime:
    """The naive UTC time at which ``day`` ends in England (the next day's start)."""
    return utc_start_of_local_day(day + timedelta(days=1))
