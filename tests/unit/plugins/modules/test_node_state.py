"""esdb.cluster.node_state main(), run the way Ansible runs it, with systemctl and dpkg-query answered by fakes."""
import hashlib
import os
import pwd

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.esdb.cluster.plugins.modules import node_state
from ansible_collections.esdb.cluster.plugins.plugin_utils.node_drift import node_drift
from ansible_collections.esdb.cluster.tests.unit.plugins.module_utils.canned_http import run_module

SHOW = 'ActiveState=active\nUnitFileState=enabled\nNeedDaemonReload=no\nLoadState=loaded\n'


@pytest.fixture()
def commands(monkeypatch):
    """{program: (rc, stdout)}; every command the module runs is recorded."""
    answers = {'systemctl': (0, SHOW), 'dpkg-query': (0, '22.10.0 hold installed')}
    calls = []

    def run_command(_self, args, **_kwargs):
        calls.append(args)
        rc, out = answers[os.path.basename(args[0])]
        return rc, out, ''

    monkeypatch.setattr(AnsibleModule, 'run_command', run_command)
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda _self, name, *a, **k: '/usr/bin/' + name)
    return answers, calls


def probe(paths=()):
    return run_module(node_state.main, {'service': 'eventstore', 'package': 'eventstore-oss', 'paths': list(paths)})


def test_unit_package_and_files_are_read_in_one_call(commands, tmp_path):
    conf = tmp_path / 'etc' / 'eventstore.conf'
    key = tmp_path / 'etc' / 'certs' / 'node.key'
    key.parent.mkdir(parents=True)
    conf.write_text('ClusterSize: 3\n')
    key.write_text('secret')
    key.chmod(0o600)
    (tmp_path / 'etc' / 'link').symlink_to(conf)
    result = probe([str(tmp_path / 'etc'), str(tmp_path / 'missing')])
    assert result['changed'] is False
    assert result['unit'] == {'ActiveState': 'active', 'UnitFileState': 'enabled', 'NeedDaemonReload': 'no',
                              'LoadState': 'loaded'}
    assert result['package'] == '22.10.0 hold installed'
    me = pwd.getpwuid(os.getuid()).pw_name
    # Regular files only (the symlink is left out), in path order; a missing directory adds nothing.
    assert result['files'] == [
        {'path': str(key), 'checksum': hashlib.sha1(b'secret').hexdigest(), 'mode': '0600', 'pw_name': me},
        {'path': str(conf), 'checksum': hashlib.sha1(b'ClusterSize: 3\n').hexdigest(),
         'mode': '%04o' % (conf.stat().st_mode & 0o7777), 'pw_name': me},
    ]
    answers, calls = commands
    assert calls[0] == ['/usr/bin/systemctl', 'show', '--property', 'ActiveState,UnitFileState,NeedDaemonReload,LoadState',
                        'eventstore.service']
    assert calls[1][-1] == 'eventstore-oss'


def test_a_file_named_twice_is_listed_once(commands, tmp_path):
    (tmp_path / 'a.conf').write_text('x')
    result = probe([str(tmp_path), str(tmp_path)])
    assert [f['path'] for f in result['files']] == [str(tmp_path / 'a.conf')]


def test_an_unknown_package_and_a_failing_systemctl_read_as_empty(commands):
    answers, _calls = commands
    answers['dpkg-query'] = (1, '')
    answers['systemctl'] = (1, 'garbage=1\n')
    result = probe()
    assert (result['package'], result['unit'], result['files']) == ('', {}, [])


def test_what_it_returns_is_what_node_drift_compares(commands, tmp_path):
    """node_drift reads the module's result as it read ansible.builtin.find, systemd_service and dpkg-query."""
    conf = tmp_path / 'eventstore.conf'
    conf.write_text('ClusterSize: 3\n')
    result = probe([str(tmp_path)])
    wanted = {str(conf): hashlib.sha1(b'ClusterSize: 3\n').hexdigest()}
    assert node_drift(wanted, result['files'], '22.10.0 hold installed', result['package'], result['unit']) == []
    commands[0]['systemctl'] = (0, SHOW.replace('NeedDaemonReload=no', 'NeedDaemonReload=yes'))
    result = probe([str(tmp_path)])
    assert node_drift(wanted, result['files'], '22.10.0 hold installed', result['package'], result['unit']) == [
        "service NeedDaemonReload is 'yes', wanted 'no'"]
