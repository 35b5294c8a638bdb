"""Time in UTC for storage, Western Indonesian Time (WIB, UTC+7, no daylight saving) for what people read."""

from datetime import UTC, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")


def utcnow() -> datetime:
    return datetime.now(UTC)


def wib(moment: datetime, fmt: str = "%d-%m-%Y %H:%M") -> str:
    return moment.astimezone(WIB).strftime(fmt)
