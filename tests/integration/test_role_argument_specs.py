"""roles/eventstore: meta/argument_specs.yml and defaults/main.yml describe the same variables,
and every entry point a playbook uses is declared there."""

import re

import pytest

from ansible_collections.esdb.cluster.tests.lib.role_files import REPO, ROLE, ROLE_VAR, load_yaml, role_text_files

SPEC_TYPES = {"str": str, "path": str, "int": int, "bool": bool, "list": list, "dict": dict}

DEFAULTS = load_yaml("defaults/main.yml")
SPECS = load_yaml("meta/argument_specs.yml")["argument_specs"]
OPTIONS = {name: spec for entry in SPECS.values() for name, spec in entry["options"].items()}
PLAYBOOKS = sorted((REPO / "playbooks").glob("*.yml")) + [REPO / "site.yml"]


def test_every_entry_point_has_its_task_file_and_the_main_options():
    for entry, spec in SPECS.items():
        assert (ROLE / "tasks" / (entry + ".yml")).is_file(), entry
        assert set(SPECS["main"]["options"]) <= set(spec["options"]), entry


def test_playbooks_use_only_declared_entry_points_and_no_private_role_value():
    private = {name for path in role_text_files()
               for name in re.findall(r"\b(_eventstore_[a-z0-9_]+)\b", path.read_text(encoding="utf-8"))}
    for path in PLAYBOOKS:
        text = path.read_text(encoding="utf-8")
        for entry in re.findall(r"tasks_from:\s*(\S+)", text):
            assert entry.removesuffix(".yml") in SPECS, f"{path.name} uses undeclared entry point {entry}"
        used = sorted(set(re.findall(r"\b(_eventstore_[a-z0-9_]+)\b", text)) & private)
        assert used == [], f"{path.name} reads the role's private values {used}"


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
    private = set(load_yaml("vars/main.yml"))
    used = set()
    for path in role_text_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "tags:" not in line:
                used.update(ROLE_VAR.findall(line))
    undocumented = sorted(name for name in used - set(OPTIONS) if name not in private)
    assert undocumented == [], "role reads variables missing from meta/argument_specs.yml"
