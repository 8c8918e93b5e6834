"""Twin-only timing knobs, read from the environment. None of them is an EventStoreDB option.

ESDB_TWIN_DB_OPEN_MS           time spent opening the database before anything listens (default 2000)
ESDB_TWIN_CATCHUP_BYTES_PER_S  rate at which a replica receives the data it lacks (default 500)

The defaults are what the packaged service runs with: a restarted node of a running cluster spends a few
seconds opening its database and catching up. Tests that form many clusters may set faster values.
"""
import os

DEFAULT_DB_OPEN_MS = 2000
DEFAULT_CATCHUP_BYTES_PER_S = 500


def _number(name, default, minimum):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise SystemExit("%s=%r is not valid: give a number >= %s (unset it for the default %s)."
                         % (name, raw, minimum, default))
    return value


def db_open_seconds():
    return _number("ESDB_TWIN_DB_OPEN_MS", DEFAULT_DB_OPEN_MS, 0) / 1000.0


def catchup_bytes_per_second():
    return _number("ESDB_TWIN_CATCHUP_BYTES_PER_S", DEFAULT_CATCHUP_BYTES_PER_S, 1)
