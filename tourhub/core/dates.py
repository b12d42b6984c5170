"""Dates known only to the year or the month, kept at the precision they are known to.

A standard whose code says 2014 but whose day of issue nobody published is `2014`, never
2014-01-01: padding would publish a day that is not true. Comparisons take the precision into
account: `2014` is before `2015-03-01`, but neither before nor after `2014-06-01`.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

PATTERN = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


@dataclass(frozen=True, order=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str | date | None) -> PartialDate | None:
        """`2014`, `2014-11` or `2014-11-21` (or a date); None when it is none of these, or
        names a month or day that does not exist."""
        if text is None:
            return None
        if isinstance(text, date):
            return cls(text.year, text.month, text.day)
        match = PATTERN.fullmatch(str(text).strip())
        if not match:
            return None
        year_text, month_text, day_text = match.groups()
        year = int(year_text)
        month = int(month_text) if month_text else None
        day = int(day_text) if day_text else None
        if month is not None and not 1 <= month <= 12:
            return None
        if month is not None and day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
            return None
        return cls(year, month, day)

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    @property
    def earliest(self) -> date:
        """The first day it may mean."""
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> date:
        """The last day it may mean."""
        month = self.month or 12
        return date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def surely_before(self, other: PartialDate) -> bool:
        """True only when every day this may mean is before every day `other` may mean."""
        return self.latest < other.earliest

    def isoformat(self) -> str:
        """As written: 2014, 2014-11 or 2014-11-21."""
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
        if self.day:
            text += f"-{self.day:02d}"
        return text

    def in_(self, lang: str) -> str:
        """For people: 2014年11月 / Nov 2014, at the precision known."""
        if lang == "en":
            if self.day:
                return self.isoformat()
            return f"{calendar.month_abbr[self.month]} {self.year}" if self.month else str(self.year)
        if self.day:
            return self.isoformat()
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年"

    def __str__(self) -> str:
        return self.isoformat()


CHINA = timezone(timedelta(hours=8))
MOMENT_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?)?"


@dataclass(frozen=True)
class Moment:
    """A point in time known to the minute (with its UTC offset), or only to the day.

    A notice published "2025-06-30" with no time shown is that day, China time; it is never
    given a made-up hour. `start` and `end` bound what it may mean: the day's first instant and
    the next day's first instant, or the same instant twice."""

    start: datetime
    day_only: bool = False

    @classmethod
    def parse(cls, text) -> Moment | None:
        """`2025-06-30` (China time) or `2025-06-30T20:00:00+08:00`; None when it is neither, or
        a time has no UTC offset (rules.py reports that)."""
        if text is None:
            return None
        if isinstance(text, datetime):
            return cls(text) if text.tzinfo else None
        if isinstance(text, date):
            return cls(datetime(text.year, text.month, text.day, tzinfo=CHINA), True)
        value = str(text).strip()
        if not re.fullmatch(MOMENT_PATTERN, value):
            return None
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                return cls(datetime(day.year, day.month, day.day, tzinfo=CHINA), True)
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return cls(moment) if moment.tzinfo else None

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=1) if self.day_only else self.start

    def isoformat(self) -> str:
        return self.start.date().isoformat() if self.day_only else self.start.isoformat()

    def local_text(self) -> str:
        """For people, in China time: 2025-06-30 or 2025-06-30 20:00."""
        local = self.start.astimezone(CHINA)
        return local.strftime("%Y-%m-%d") if self.day_only else local.strftime("%Y-%m-%d %H:%M")

    def __str__(self) -> str:
        return self.isoformat()
