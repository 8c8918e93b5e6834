"""Merge the sources with 22.10's precedence (defaults < file < environment < command line) and type the values."""
import ipaddress

from . import sources
from .errors import host_terminated
from .options import ENUMS, GROUPS, KNOWN_LOWER, OPTIONS

SOURCE_DEFAULT, SOURCE_YAML, SOURCE_ENV, SOURCE_CLI = "<DEFAULT>", "Yaml", "Environment Variables", "Command Line"
INT_RANGES = {"int": (-2 ** 31, 2 ** 31 - 1, "System.Int32", "Int32"),
              "long": (-2 ** 63, 2 ** 63 - 1, "System.Int64", "Int64")}


class Config:
    """Typed option values (attribute per 22.10 option name), plus where each raw value came from."""

    def __init__(self, layers):
        self.layers = layers
        merged = {}
        for source, pairs in layers:
            for key, value in pairs:
                first_key = merged.get(key.lower(), (key,))[0]
                merged[key.lower()] = (first_key, value, source)
        self.merged = merged
        self.values = {}
        for _group, items in GROUPS:
            for name, kind, _default in items:
                raw = merged[name.lower()][1]
                self.values[name] = convert(name, kind, raw)
        self.unknown = [key for lower, (key, _v, _s) in merged.items() if lower not in KNOWN_LOWER]

    def __getattr__(self, name):
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def raw(self, name):
        return self.merged[name.lower()][1]

    @property
    def quorum(self):
        return 1 if self.ClusterSize == 1 else self.ClusterSize // 2 + 1

    @property
    def index_path(self):
        return self.Index if self.Index is not None else self.Db.rstrip("/") + "/index"

    @property
    def component_name(self):
        return "%s-%s-cluster-node" % (self.ExtIp, self.HttpPort)


def build(args, environ):
    """Load every source and return a Config; raise StartupFailure like 22.10 does on bad input."""
    cli = sources.load_cli(args)
    env = sources.load_env(environ)
    defaults = [(name, default) for name, (_kind, default, _group) in OPTIONS.items()]
    config_path = OPTIONS["Config"][1]
    for pairs in (env, cli):
        for key, value in pairs:
            if key.lower() == "config":
                config_path = value
    yaml_pairs = sources.load_yaml(config_path) if config_path else []
    return Config([(SOURCE_DEFAULT, defaults), (SOURCE_YAML, yaml_pairs), (SOURCE_ENV, env), (SOURCE_CLI, cli)])


def convert(name, kind, raw):
    if kind in ("string", "string?"):
        return raw
    if kind == "ip":
        return _ip(raw)
    if kind == "endpoints":
        return parse_gossip_seeds(raw)
    if raw is None:
        return None if kind == "bool?" else _null_default(kind)
    text = raw.strip()
    if kind == "bool?" and not text:
        return None
    if kind in ("bool", "bool?"):
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise _conversion(name, "System.Boolean" if kind == "bool" else "System.Nullable`1[System.Boolean]",
                          "String '%s' was not recognized as a valid Boolean." % raw)
    if kind in INT_RANGES:
        return _integer(name, kind, raw, text)
    if kind == "double":
        try:
            return float(text)
        except ValueError:
            raise _conversion(name, "System.Double", "%s is not a valid value for Double." % raw) from None
    return _enum(name, kind, raw, text)


def _null_default(kind):
    if kind in ENUMS:
        return ENUMS[kind][1][0]
    return {"bool": False, "double": 0.0}.get(kind, 0)


def _integer(name, kind, raw, text):
    low, high, type_name, short = INT_RANGES[kind]
    try:
        value = int(text[2:], 16) if text.lower().startswith("0x") else int(text, 10)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise _conversion(name, type_name, "%s is not a valid value for %s." % (raw, short))
    return value


def _enum(name, kind, raw, text):
    type_name, names = ENUMS[kind]
    for candidate in names:
        if candidate.lower() == text.lower():
            return candidate
    if text.lstrip("-").isdigit() and 0 <= int(text) < len(names):
        return names[int(text)]
    raise _conversion(name, type_name, "Requested value '%s' was not found." % raw, "System.ArgumentException")


def _conversion(name, type_name, inner_message, inner_type="System.FormatException"):
    return host_terminated("System.InvalidOperationException",
                           "Failed to convert configuration value at '%s' to type '%s'." % (name, type_name),
                           inner=(inner_type, inner_message))


def _ip(raw):
    if raw is None:
        return "127.0.0.1"
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        raise host_terminated("System.FormatException", "An invalid IP address was specified.") from None


def parse_gossip_seeds(raw):
    """host:port entries, comma separated; the port is mandatory (22.10's ParseGossipEndPoint)."""
    seeds = []
    for entry in (raw or "").split(","):
        if not entry:
            continue
        parts = entry.split(":", 1)
        if len(parts) != 2:
            raise host_terminated("System.Exception", "You must specify the ports in the gossip seed")
        try:
            port = int(parts[1].strip())
        except ValueError:
            raise host_terminated("System.Exception",
                                  "Invalid format for gossip seed port: %s" % parts[1]) from None
        seeds.append((parts[0].strip(), port))
    return seeds
