"""node_drift: a node matches this run only when every probe says so."""

from ansible_collections.esdb.cluster.plugins.plugin_utils.node_drift import file_sha1, node_drift

CONF, KEY = '/etc/eventstore/eventstore.conf', '/etc/eventstore/certs/node.key'
UNIT = dict(ActiveState='active', UnitFileState='enabled', NeedDaemonReload='no')
PACKAGE = '22.10.0 hold installed'


def files(**overrides):
    present = [dict(path=CONF, checksum='aaa', mode='0640', pw_name='root'),
               dict(path=KEY, checksum='kkk', mode='0600', pw_name='eventstore')]
    for entry in present:
        entry.update(overrides.get(entry['path'], {}))
    return present


def drift(wanted=None, present=None, package=PACKAGE, unit=None):
    return node_drift(wanted if wanted is not None else {CONF: 'aaa', KEY: 'kkk'},
                      present if present is not None else files(), PACKAGE, package,
                      unit if unit is not None else UNIT, private_key=KEY)


def test_matching_node_has_no_drift():
    assert drift() == []


def test_each_difference_is_named():
    assert drift(present=files(**{CONF: dict(checksum='bbb')})) == ['%s differs' % CONF]
    assert drift(present=files()[1:]) == ['%s is missing' % CONF]
    # A wanted file whose controller-side source does not exist yet never matches.
    assert drift(wanted={CONF: None, KEY: 'kkk'}) == ['%s differs' % CONF]
    assert drift(present=files(**{KEY: dict(mode='0644')})) == ['%s is not mode 0600 owned by eventstore' % KEY]
    assert drift(package='22.10.0 install installed') == ["package is '22.10.0 install installed', wanted '%s'" % PACKAGE]
    assert drift(package='') == ["package is 'not installed', wanted '%s'" % PACKAGE]
    assert drift(unit=dict(UNIT, NeedDaemonReload='yes')) == ["service NeedDaemonReload is 'yes', wanted 'no'"]


def test_unknown_unit_state_is_drift():
    assert len(drift(unit={})) == 3


def test_file_sha1_matches_what_find_reports_and_is_none_when_missing(tmp_path):
    path = tmp_path / 'ca.crt'
    path.write_bytes(b'-----BEGIN CERTIFICATE-----\n')
    assert file_sha1(str(path)) == 'cbb5d4ef4581387471b1e126f28946d4240b47c8'
    assert file_sha1(str(tmp_path / 'missing')) is None and file_sha1('') is None
