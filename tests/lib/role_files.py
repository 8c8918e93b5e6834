"""Paths and loaders for tests of roles/eventstore (shared by the role's test modules)."""

import os
import pathlib
import re

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
ROLE = REPO / "roles" / "eventstore"
# The Python tools the tests run (ansible-playbook, moto_server...): .venv, or another ansible-core
# release's venv (scripts/core_matrix.py).
VENV_BIN = pathlib.Path(os.environ.get("ESDB_VENV_BIN") or REPO / ".venv" / "bin")
ROLE_VAR = re.compile(r"\b(eventstore_[a-z0-9_]+)\b")


def load_yaml(relative):
    with open(ROLE / relative, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def role_text_files():
    """Every task, handler, template and vars file of the role."""
    for folder in ("tasks", "handlers", "templates", "vars"):
        yield from sorted((ROLE / folder).glob("*"))
