"""Every module test runs main() with exit_json/fail_json raising instead of exiting."""

import pytest

from ansible_collections.esdb.cluster.tests.unit.plugins.module_utils.canned_http import patch_module_exits


@pytest.fixture(autouse=True)
def module_exits(monkeypatch):
    patch_module_exits(monkeypatch)
