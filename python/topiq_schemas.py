"""Validate events in Python exactly as topiq's TypeScript clients do (ajv 8 + ajv-formats "full", strict).

One line, from a Python service that shares the schemas/ directory (or sets TOPIQ_SCHEMAS_DIR):

    from topiq_schemas import validator; validator("campaign.created.json").validate(event)

It raises jsonschema.ValidationError where a topiq consumer would dead-letter the event as INVALID_PAYLOAD, and
passes what a topiq consumer would hand to its handler. A default jsonschema validator differs in three ways, each
closed here:
- formats are not checked at all unless a FormatChecker is passed, and even then "date-time" is only checked when the
  optional rfc3339-validator package is installed: "2024-01-15" or "2024-01-15T10:00:00" (no offset) pass there and
  are dead-lettered by topiq. The checkers below are ajv-formats' full-mode rules (a drift test compares the regexes);
  a schema using a format not implemented here is refused rather than checked loosely.
- "pattern": Python's "$" also matches before a final newline ("EUR\\n" matches ^[A-Z]{3}$); JavaScript's does not.
- "\\d" and "\\w" in patterns match only ASCII digits and word characters in JavaScript, any Unicode ones in Python.

Needs: jsonschema >= 4.18.
"""
from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import validators

# ajv-formats 3 fullFormats, regex sources copied verbatim (packages/codegen/src/python-parity.test.ts checks them).
_REGEX_FORMATS = {
    "duration": (r"^P(?!$)((\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?|(\d+W)?)$", 0),
    "email": (r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", re.I),
    "hostname": (r"^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\.?$", re.I),
    "ipv4": (r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$", 0),
    "uuid": (r"^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$", re.I),
    "uri": (
        r"^(?:[a-z][a-z0-9+\-.]*:)(?:\/?\/(?:(?:[a-z0-9\-._~!$&'()*+,;=:]|%[0-9a-f]{2})*@)?(?:\[(?:(?:(?:(?:[0-9a-f]{1,4}:){6}|::(?:[0-9a-f]{1,4}:){5}|(?:[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){4}|(?:(?:[0-9a-f]{1,4}:){0,1}[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){3}|(?:(?:[0-9a-f]{1,4}:){0,2}[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){2}|(?:(?:[0-9a-f]{1,4}:){0,3}[0-9a-f]{1,4})?::[0-9a-f]{1,4}:|(?:(?:[0-9a-f]{1,4}:){0,4}[0-9a-f]{1,4})?::)(?:[0-9a-f]{1,4}:[0-9a-f]{1,4}|(?:(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d\d?))|(?:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})?::[0-9a-f]{1,4}|(?:(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?::)|[Vv][0-9a-f]+\.[a-z0-9\-._~!$&'()*+,;=:]+)\]|(?:(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d\d?)|(?:[a-z0-9\-._~!$&'()*+,;=]|%[0-9a-f]{2})*)(?::\d*)?(?:\/(?:[a-z0-9\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*|\/(?:(?:[a-z0-9\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})+(?:\/(?:[a-z0-9\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*)?|(?:[a-z0-9\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})+(?:\/(?:[a-z0-9\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*)(?:\?(?:[a-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9a-f]{2})*)?(?:#(?:[a-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9a-f]{2})*)?$",
        re.I,
    ),
}
_COMPILED = {name: re.compile(src, flags | re.ASCII) for name, (src, flags) in _REGEX_FORMATS.items()}
_NOT_URI_FRAGMENT = re.compile(r"\/|:")

_DATE = re.compile(r"^(\d\d\d\d)-(\d\d)-(\d\d)$", re.ASCII)
_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)?$", re.I | re.ASCII)
_DATE_TIME_SEPARATOR = re.compile(r"t|\s", re.I)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _date(value: str) -> bool:
    m = _DATE.match(value)
    if not m:
        return False
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    return 1 <= month <= 12 and 1 <= day <= (29 if month == 2 and _is_leap(year) else _DAYS[month])


def _time(value: str) -> bool:  # ajv-formats getTime(strictTimeZone=true)
    m = _TIME.match(value)
    if not m:
        return False
    hr, mn, sec = int(m[1]), int(m[2]), float(m[3])
    tz, sign = m[4], -1 if m[5] == "-" else 1
    tz_h, tz_m = int(m[6] or 0), int(m[7] or 0)
    if tz_h > 23 or tz_m > 59 or not tz:
        return False
    if hr <= 23 and mn <= 59 and sec < 60:
        return True
    utc_min = mn - tz_m * sign  # a leap second, at 23:59:60 UTC only
    utc_hr = hr - tz_h * sign - (1 if utc_min < 0 else 0)
    return utc_hr in (23, -1) and utc_min in (59, -1) and sec < 61


def _date_time(value: str) -> bool:
    parts = _DATE_TIME_SEPARATOR.split(value)
    return len(parts) == 2 and _date(parts[0]) and _time(parts[1])


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date")(_date)
    checker.checks("time")(_time)
    checker.checks("date-time")(_date_time)
    for name, regex in _COMPILED.items():
        if name == "uri":
            checker.checks(name)(lambda v, r=regex: bool(_NOT_URI_FRAGMENT.search(v)) and bool(r.search(v)))
        else:
            checker.checks(name)(lambda v, r=regex: bool(r.search(v)))
    return checker


FORMAT_CHECKER = _format_checker()


def _js_pattern(pattern: str) -> re.Pattern[str]:
    """A JavaScript (ajv, `u` flag) pattern as Python: `$` is end of input only; \\d, \\w are ASCII."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "$" and not in_class:
            out.append(r"(?!\n)$")
            i += 1
            continue
        out.append(c)
        i += 1
    return re.compile("".join(out), re.ASCII)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any):
    if validator.is_type(instance, "string") and not _js_pattern(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _used_formats(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["format"]} if isinstance(node.get("format"), str) else set()
        for value in node.values():
            found |= _used_formats(value)
        return found
    if isinstance(node, list):
        return set().union(*(_used_formats(v) for v in node)) if node else set()
    return set()


def schemas_dir() -> Path:
    configured = os.environ.get("TOPIQ_SCHEMAS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parent.parent / "schemas"


@lru_cache(maxsize=None)
def validator(topic: str) -> Any:
    """The validator of a topic's schema (schemas/<topic>), checking as topiq does. Cached per topic."""
    path = schemas_dir() / topic
    if not path.is_file():
        raise FileNotFoundError(f"no schema for topic {topic!r} at {path}; set TOPIQ_SCHEMAS_DIR to the schemas/ directory")
    schema = json.loads(path.read_text(encoding="utf-8"))
    missing = _used_formats(schema) - set(FORMAT_CHECKER.checkers)
    if missing:
        raise ValueError(f"{path}: format(s) {sorted(missing)} have no ajv-parity checker here; add them to topiq_schemas.py")
    base = validators.validator_for(schema)
    base.check_schema(schema)
    strict = validators.extend(base, {"pattern": _pattern})
    return strict(schema, format_checker=FORMAT_CHECKER)


def is_valid(topic: str, event: Any) -> bool:
    return validator(topic).is_valid(event)


if __name__ == "__main__":  # python python/topiq_schemas.py campaign.created.json < event.json
    import sys

    errors = sorted(validator(sys.argv[1]).iter_errors(json.load(sys.stdin)), key=lambda e: list(e.absolute_path))
    for error in errors:
        print("$" + "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path), error.message)
    sys.exit(1 if errors else 0)
