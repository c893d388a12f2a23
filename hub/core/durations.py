"""ISO 8601 durations (`P1D`, `PT6H`, `P1W`) as timedeltas, for `period` and `gone_grace`, and the times the
hub writes (UTC, `…Z`)."""

from __future__ import annotations

import datetime as dt
import re

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_duration(text: str) -> dt.timedelta:
    """Years count as 365 days and months as 30: a harvest period needs no calendar arithmetic."""
    match = _DURATION.match(text)
    if not match or text in ("P", "PT"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as P1D or PT6H")
    years, months, weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return dt.timedelta(days=years * 365 + months * 30 + weeks * 7 + days, hours=hours, minutes=minutes,
                        seconds=seconds)


def parse_time(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def now_iso() -> str:
    """Now, in UTC, to the microsecond, as the hub writes every time (`2027-01-21T17:30:00.000000Z`)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
