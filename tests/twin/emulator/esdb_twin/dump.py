"""Texts 22.10 prints about its options: the effective-options dump, the help table and deprecation warnings."""
import ipaddress
import re

from .config import SOURCE_DEFAULT
from .options import DEPRECATED, ENUMS, GROUPS, OPTIONS, SENSITIVE

_PASCAL_SPLIT = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])|(?<=[^A-Z])(?=[A-Z])|(?<=[A-Za-z])(?=[^A-Za-z])")
_SORT_ORDER = sorted(_PASCAL_SPLIT.sub(" ", name).upper() for name in OPTIONS)
_SENSITIVE_LOWER = {name.lower() for name in SENSITIVE}


def _display(key):
    return _PASCAL_SPLIT.sub(" ", key).upper()


def options_dump(config):
    """MODIFIED OPTIONS / DEFAULT OPTIONS, as logged at every start (and by --what-if)."""
    info = {}
    for source, pairs in config.layers:
        for key, value in pairs:
            shown = "<empty>" if not value else "****" if key.lower() in _SENSITIVE_LOWER else value
            info[_display(key)] = (source, shown)
    width = max(len(key) for key in info) + 7

    def section(title, rows):
        rows = sorted(rows, key=lambda row: _SORT_ORDER.index(row[0]) if row[0] in _SORT_ORDER else -1)
        lines = ["%s OPTIONS:" % title, ""]
        for key, (source, value) in rows:
            lines.append(("     %s:" % key).ljust(width) + "%s (%s)" % (value, source))
        return "\n".join(lines) + "\n"

    modified = [(k, v) for k, v in info.items() if v[0] != SOURCE_DEFAULT]
    default = [(k, v) for k, v in info.items() if v[0] == SOURCE_DEFAULT]
    return section("MODIFIED", modified) + "\n" + section("DEFAULT", default)


def _gnu(name):
    return "-" + "".join("-" + c.lower() if c.isupper() else c for c in name)


def _help_default(kind, default):
    if default is None:
        return ""
    return default.lower() if kind.startswith("bool") else default


def help_text():
    """22.10's option table (option=default per group); the emulator leaves out the description column."""
    entries = [(name, _help_default(kind, default)) for _g, items in GROUPS for name, kind, default in items]
    width = max(max(sum(c.isupper() for c in n + d) + 2 + len(n + d) + 1 for n, d in entries), len("OPTION"))
    lines = ["OPTION".ljust(width) + "DESCRIPTION"]
    for group, items in GROUPS:
        lines += ["", group]
        for name, kind, default in items:
            shown = _help_default(kind, default)
            option = _gnu(name) + ("=" + shown if shown else "")
            values = " (%s)" % ", ".join(ENUMS[kind][1]) if kind in ENUMS else ""
            lines.append((option.ljust(width) + values).rstrip())
    return "\n".join(lines) + "\n"


def deprecation_warnings(config):
    warnings = []
    for name, message in DEPRECATED.items():
        value = config.raw(name)
        default = OPTIONS[name][1]
        if (value or "").lower() != (default or "").lower() or (value is None) != (default is None):
            warnings.append(message)
    return "\n".join(warnings) + "\n" if warnings else None


def _option_value(config, name, kind):
    computed = {"QuorumSize": config.quorum, "PrepareAckCount": max(config.PrepareCount, config.quorum),
                "CommitAckCount": max(config.CommitCount, config.quorum)}
    value = computed.get(name, config.values[name])
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if kind == "endpoints":
        # .NET concatenates the endpoints without a separator; a DNS endpoint prints as Unspecified/host:port.
        return "".join(("%s:%s" if _is_ip(host) else "Unspecified/%s:%s") % (host, port) for host, port in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def options_info(config):
    """GET /info/options: every option with its effective value (descriptions are not reproduced)."""
    return [{"name": name, "description": "", "group": group,
             "value": "" if name in SENSITIVE else _option_value(config, name, kind),
             "possibleValues": ENUMS[kind][1] if kind in ENUMS else None}
            for group, items in GROUPS for name, kind, _default in items]
