"""The three configuration sources of 22.10: the YAML file, EVENTSTORE_* variables and the command line.

Each loader returns a list of (key, value) pairs as that source stores them; values are raw strings (or None),
exactly as 22.10's configuration providers hand them over before any type conversion.
"""
import os

import yaml

from .errors import host_terminated

NULL_WORDS = ("~", "null", "Null", "NULL")
ENV_PREFIX = "EVENTSTORE_"


def computerize(name):
    """22.10's key normaliser for env and CLI names: int-ip / INT_IP / IntIp all become IntIp-like keys."""
    parts = (name or "").replace("-", "_").lower().split("_")
    return "".join(part[:1].upper() + part[1:] for part in parts)


def load_yaml(path):
    """Read the config file; a missing file is not an error (the source is optional)."""
    if not os.path.isfile(path):
        return []
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8-sig")
    except PermissionError:
        raise host_terminated("System.UnauthorizedAccessException", "Access to the path '%s' is denied." % path)
    wrapper = ("System.IO.InvalidDataException", "Failed to load configuration from file '%s'." % path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise host_terminated(*wrapper, inner=("YamlDotNet.Core.SyntaxErrorException", _one_line(exc)))
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise host_terminated("System.InvalidCastException",
                              "Unable to cast object of type 'YamlDotNet.RepresentationModel.Yaml%sNode' to type "
                              "'YamlDotNet.RepresentationModel.YamlMappingNode'." % _node_kind(root))
    data = {}
    for key_node, value_node in root.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise host_terminated("System.InvalidCastException", "A YAML key must be a scalar.")
        try:
            _visit(data, key_node.value, value_node)
        except ValueError as exc:
            raise host_terminated(*wrapper, inner=("System.FormatException", str(exc)))
    return list(data.values())


def _visit(data, key, node):
    if isinstance(node, yaml.ScalarNode):
        lower = key.lower()
        if lower in data:
            raise ValueError("Duplicate key '%s' found." % key)
        data[lower] = (key, _scalar(node))
    elif isinstance(node, yaml.SequenceNode):
        _visit_sequence(data, key, node)
    # A nested mapping is silently ignored, as in 22.10.


def _visit_sequence(data, key, node):
    for child in node.value:
        if isinstance(child, yaml.SequenceNode):
            _visit_sequence(data, key, child)
        elif isinstance(child, yaml.ScalarNode):
            lower = key.lower()
            value = _scalar(child)
            if lower in data:
                data[lower] = (data[lower][0], "%s,%s" % (data[lower][1], "" if value is None else value))
            else:
                data[lower] = (key, value)


def _scalar(node):
    if node.style is None and node.value in NULL_WORDS:
        return None
    return node.value


def _node_kind(node):
    return "Sequence" if isinstance(node, yaml.SequenceNode) else "Scalar"


def _one_line(exc):
    return " ".join(str(exc).split())


def load_env(environ):
    pairs = {}
    for name, value in environ.items():
        if name.startswith(ENV_PREFIX):
            key = computerize(name[len(ENV_PREFIX):])
            pairs[key.lower()] = (key, value)
    return list(pairs.values())


def load_cli(args):
    """Command-line flags: --int-ip=1.2.3.4, --int-ip 1.2.3.4, --IntIp, -what-if, --insecure (bare = true)."""
    normalised = [_normalise_boolean(_normalise_dash(arg), i, args) for i, arg in enumerate(args)]
    raw = {}
    i = 0
    while i < len(normalised):
        arg = normalised[i]
        i += 1
        if arg.startswith("--"):
            body = arg[2:]
        elif arg.startswith("/"):
            body = arg[1:]
        else:
            continue
        if "=" in body:
            key, value = body.split("=", 1)
        elif i < len(normalised):
            key, value = body, normalised[i]
            i += 1
        else:
            continue
        raw[key.lower()] = (key, value)
    pairs = {}
    for key, value in raw.values():
        name = computerize(key)
        if name.lower() in pairs:
            raise host_terminated("System.ArgumentException",
                                  "An item with the same key has already been added. Key: %s" % name)
        pairs[name.lower()] = (name, value)
    return list(pairs.values())


def _normalise_dash(arg):
    return "-" + arg if len(arg) > 1 and arg[0] == "-" and arg[1] != "-" else arg


def _normalise_boolean(arg, index, args):
    if not arg.startswith("--"):
        return arg
    if arg.endswith("+"):
        return arg[:-1] + "=true"
    if arg.endswith("-") and len(arg) > 2:
        return arg[:-1] + "=false"
    last = index == len(args) - 1
    if "=" not in arg and (last or args[index + 1][:2] == "--"):
        return arg + "=true"
    return arg
