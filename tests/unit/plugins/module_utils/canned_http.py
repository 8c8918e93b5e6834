"""Canned 22.10 gossip and HTTP replies shared by the unit tests of module_utils and modules.

Imported as ansible_collections.esdb.cluster.tests.unit.plugins.module_utils.canned_http; it sits
beside the fixtures, in a folder every unit and mutation run brings along.
"""

import contextlib
import io
import json
from pathlib import Path
from urllib.error import URLError

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19: modules read their arguments from basic._ANSIBLE_ARGS
    @contextlib.contextmanager
    def patch_module_args(args=None):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved

from ansible_collections.esdb.cluster.plugins.module_utils.gossip import parse_gossip

FIXTURES = Path(__file__).parent / 'fixtures'
HOSTS = {'n1': '10.0.1.11', 'n2': '10.0.1.12', 'n3': '10.0.1.13'}
NODES = dict((host, name) for name, host in HOSTS.items())
IDS = {'n1': '3f2a1b2c-9d4e-4f60-8a71-b2c3d4e5f601', 'n2': '5b6c7d8e-1f20-4a31-9b42-c3d4e5f60712',
       'n3': '9c8b7a6d-2e31-4b42-8c53-d4e5f6071823'}
REFUSED = '%s: connection refused; is EventStoreDB running and listening on HTTP port 2113?'


class Reply(io.BytesIO):
    """An open_url reply: a body, and the status a 2xx answer carries."""

    def __init__(self, body=b'', status=200):
        super().__init__(body)
        self.status = status


def refused():
    return URLError(ConnectionRefusedError(111, 'Connection refused'))


def host_of(url):
    return url.split('://', 1)[1].split(':', 1)[0]


def gossip_document(scenario, node, edit=None):
    """The node's (n1..n3) /gossip body of a scenario as a dict, or None when it has no file (refused)."""
    path = FIXTURES / scenario / (node + '.json')
    if not path.exists():
        return None
    document = json.loads(path.read_text())
    if edit:
        edit(node, document)
    return document


def answers(scenario, nodes=('n1', 'n2', 'n3'), edit=None):
    """fetch_all's answers for a scenario; a node without a fixture file did not answer (refused)."""
    result = []
    for node in nodes:
        label = '%s:2113' % HOSTS[node]
        answer = dict(node=label, url='https://%s/gossip' % label, gossip=None, error=None)
        document = gossip_document(scenario, node, edit)
        if document is None:
            answer['error'] = REFUSED % label
        else:
            answer['gossip'] = parse_gossip(json.dumps(document), label)
        result.append(answer)
    return result


class ModuleExit(Exception):
    """exit_json was called; args[0] holds the result."""


class ModuleFail(Exception):
    """fail_json was called; args[0] holds the result, msg included."""


def patch_module_exits(monkeypatch):
    def exit_json(self, **kwargs):
        raise ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):
        raise ModuleFail(dict(kwargs, msg=msg))

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)


def run_module(main, args, expect=ModuleExit):
    """Run a module's main() with args; the result must be JSON as Ansible sends it back."""
    with patch_module_args(args), pytest.raises(expect) as caught:
        main()
    result = caught.value.args[0]
    json.dumps(result)
    return result
