"""roles/eventstore: meta/argument_specs.yml and defaults/main.yml describe the same variables."""

import pytest

from ansible_collections.esdb.cluster.tests.lib.role_files import ROLE_VAR, load_yaml, role_text_files

SPEC_TYPES = {"str": str, "path": str, "int": int, "bool": bool, "list": list, "dict": dict}

DEFAULTS = load_yaml("defaults/main.yml")
OPTIONS = load_yaml("meta/argument_specs.yml")["argument_specs"]["main"]["options"]


def test_every_default_has_a_spec_and_every_spec_default_is_a_default():
    spec_with_default = {name for name, spec in OPTIONS.items() if "default" in spec}
    assert sorted(set(DEFAULTS) - set(OPTIONS)) == [], "defaults without a spec"
    assert sorted(spec_with_default - set(DEFAULTS)) == [], "spec defaults missing from defaults/main.yml"


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_spec_entry_is_documented_typed_and_prefixed(name):
    spec = OPTIONS[name]
    assert name.startswith("eventstore_")
    assert spec.get("description"), f"{name} has no description"
    assert spec.get("type") in SPEC_TYPES, f"{name} has type {spec.get('type')!r}"


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_default_value_and_type_agree_with_spec(name):
    spec, value = OPTIONS[name], DEFAULTS[name]
    assert spec.get("default") == value, f"{name}: spec default {spec.get('default')!r} != {value!r}"
    expected = SPEC_TYPES[spec["type"]]
    assert isinstance(value, expected) and not (expected is int and isinstance(value, bool)), (
        f"{name}: default {value!r} is not a {spec['type']}")
    if "choices" in spec:
        assert value in spec["choices"]
    if spec["type"] == "list":
        assert spec.get("elements"), f"{name}: list without elements"


def test_secrets_are_no_log_in_the_spec():
    for name, spec in OPTIONS.items():
        if "password" in name and spec["type"] == "str":
            assert spec.get("no_log") is True, name


def test_every_public_variable_the_role_reads_is_specified():
    private = set(load_yaml("vars/main.yml")) | set(load_yaml("vars/options.yml"))
    used = set()
    for path in role_text_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "tags:" not in line:
                used.update(ROLE_VAR.findall(line))
    undocumented = sorted(name for name in used - set(OPTIONS) if name not in private)
    assert undocumented == [], "role reads variables missing from meta/argument_specs.yml"
