"""Times as PostgreSQL's ``timestamptz`` input reads them: one reader, one rounding.

Every place that turns text into an instant uses this module: time literals (the
validator), entity values (the evaluator) and rows for SQL tables (``sql.row()``). So a
string means the same instant in memory, in a literal and in a loaded table.

>>> read_time("2025-01-07 00:00:00.0001265+05").isoformat()
'2025-01-06T19:00:00.000127+00:00'
>>> read_literal("2025-01-07 00:00:00Z") is None  # literals take the SPEC's forms only
True
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["read_time", "read_literal", "round_fraction", "TIME_FORMS", "LITERAL_FORMS"]

_UTC = timezone.utc

#: The forms :func:`read_time` accepts, in words for error messages.
TIME_FORMS = (
    "ISO-8601 'YYYY-MM-DD', optionally followed by T, t or a space and 'hh:mm[:ss[.fraction]]', "
    "then Z, z, '+hh', '+hhmm', '+hh:mm' or '+hh:mm:ss' (no offset: UTC)"
)
#: The forms a time literal may take (SPEC §3).
LITERAL_FORMS = "'2025-01-07', '2025-02-18T23:16:34', with optional '.fraction' and Z or +hh:mm"

# PostgreSQL's isspace() (ASCII white space), not Unicode's; digits are ASCII only: its
# input never reads '٢' as a digit.
_SPACE = r"[ \t\n\r\f\v]*"
_TIME_TEXT = re.compile(
    _SPACE + r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:[Tt ]([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2})(?:\.([0-9]*))?)?"
    + _SPACE
    + r"(?:([Zz])|([+-])([0-9]{2})(?::([0-9]{2})(?::([0-9]{2}))?|([0-9]{2}))?)?)?"
    + _SPACE
)
# The literal forms of SPEC §3, a subset of the above.
_LITERAL = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|([+-][0-9]{2}:[0-9]{2}))?"
    # ConfigHub's '2006-01-02 15:04:05' layout: a space, no zone (REFERENCE.md §6)
    r"| [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)?"
)

_MAX_OFFSET_HOURS = 15  # PostgreSQL's MAX_TZDISP_HOUR: +15:59:59 is the widest offset
_DAY_MICROS = 86_400_000_000


def round_fraction(digits: str) -> int:
    """Microseconds of a fraction of a second written with ``digits``, rounded as
    PostgreSQL rounds them: ``rint(strtod("0.<digits>") * 1000000)``, a double rounded
    half to even. (Rounding the exact decimal would differ: 0.0001265 is a double a hair
    above it, so PostgreSQL gives 127.) The result may be 1000000.

    >>> round_fraction("0001265"), round_fraction("0000005"), round_fraction("9999999")
    (127, 0, 1000000)
    """
    if not digits:
        return 0
    # Python's float() is correctly rounded like glibc's strtod; round() of a float is
    # exact and half-even like rint() in the default rounding mode.
    return round(float("0." + digits) * 1_000_000)


def read_time(text: str) -> datetime | None:
    """An ISO-8601 time as PostgreSQL's ``timestamptz`` input reads it, as an aware UTC
    datetime; None when PostgreSQL would reject it (or Python cannot hold it).

    Hours up to 24:00:00, a leap second 60 rolls over, the time of day may not pass
    24:00:00, offsets up to ±15:59:59, fractions rounded by :func:`round_fraction`.

    >>> read_time("2025-02-18 23:16:34.1234565+05:30").isoformat()
    '2025-02-18T17:46:34.123456+00:00'
    >>> read_time("2025-01-01T23:59:60Z").isoformat()
    '2025-01-02T00:00:00+00:00'
    >>> read_time("2025-02-30"), read_time("2025-01-07T00:00:00+16:00")
    (None, None)
    """
    m = _TIME_TEXT.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, _zulu, sign, oh, om, os_, omm = m.groups()
    if hour is None:  # a date alone (the commonest literal): its midnight, UTC
        try:
            return datetime(int(year), int(month), int(day), tzinfo=_UTC)
        except ValueError:
            return None
    h, mi, s = int(hour or 0), int(minute or 0), int(second or 0)
    micro = round_fraction(fraction or "")
    # PostgreSQL's time_overflows(): each field in range, the whole at most 24:00:00.
    if h > 24 or mi > 59 or s > 60 or ((h * 60 + mi) * 60 + s) * 1_000_000 + micro > _DAY_MICROS:
        return None
    offset = 0
    if sign:
        hours, minutes, seconds = int(oh), int(om or omm or 0), int(os_ or 0)
        if hours > _MAX_OFFSET_HOURS or minutes > 59 or seconds > 59:
            return None
        offset = hours * 3600 + minutes * 60 + seconds
        if sign == "-":
            offset = -offset
    try:
        base = datetime(int(year), int(month), int(day), tzinfo=_UTC)
        return base + timedelta(hours=h, minutes=mi, seconds=s - offset, microseconds=micro)
    except (ValueError, OverflowError):
        return None


def read_literal(text: str) -> datetime | None:
    """A time literal (the forms of SPEC §3, :data:`LITERAL_FORMS`) read by
    :func:`read_time`, in the offset it was written with; None when it is not one.

    >>> read_literal("2025-02-18T23:16:34.1234567+02:00").isoformat()
    '2025-02-18T23:16:34.123457+02:00'
    >>> read_literal("٢٠٢٥-٠١-٠٧"), read_literal("2025-01-07T00:00:00+23:00")
    (None, None)
    """
    m = _LITERAL.fullmatch(text)
    if m is None:
        return None
    value = read_time(text)
    if value is None or m.group(1) is None:
        return value
    # the same instant, shown in the offset it was written with
    hours, minutes = int(m.group(1)[1:3]), int(m.group(1)[4:6])
    offset = timedelta(hours=hours, minutes=minutes)
    return value.astimezone(timezone(-offset if m.group(1)[0] == "-" else offset))
