"""node_drift: a node matches this run only when every probe says so."""

import hashlib

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


def test_nothing_probed_is_drift_in_every_part():
    assert node_drift({CONF: 'aaa'}, None, PACKAGE, None, None, private_key=KEY) == [
        '%s is missing' % CONF,
        '%s is not mode 0600 owned by eventstore' % KEY,
        "package is 'not installed', wanted '%s'" % PACKAGE,
        "service ActiveState is None, wanted 'active'",
        "service UnitFileState is None, wanted 'enabled'",
        "service NeedDaemonReload is None, wanted 'no'"]


def test_no_wanted_files_and_no_key_check_without_tls():
    assert node_drift(None, [], PACKAGE, PACKAGE + '\n', UNIT) == []
    assert node_drift({}, files(**{KEY: dict(mode='0644')}), PACKAGE, PACKAGE, UNIT, private_key=None) == []


def test_a_file_present_without_a_checksum_is_missing():
    assert drift(present=files(**{CONF: dict(checksum='')})) == ['%s is missing' % CONF]


def test_key_must_be_owned_by_the_service_user():
    assert drift(present=files(**{KEY: dict(pw_name='root')})) == ['%s is not mode 0600 owned by eventstore' % KEY]
    present = files(**{KEY: dict(pw_name='esdb')})
    assert node_drift({}, present, PACKAGE, PACKAGE, UNIT, private_key=KEY, service_user='esdb') == []
    assert node_drift({}, present, PACKAGE, PACKAGE, UNIT, private_key=KEY) == [
        '%s is not mode 0600 owned by eventstore' % KEY]


def test_missing_key_file_is_drift():
    assert drift(wanted={CONF: 'aaa'}, present=files()[:1]) == ['%s is not mode 0600 owned by eventstore' % KEY]


def test_package_status_is_compared_without_surrounding_space():
    assert drift(package='  %s\n' % PACKAGE) == []
    assert drift(package=None) == ["package is 'not installed', wanted '%s'" % PACKAGE]


def test_each_unit_property_is_checked_in_order():
    assert drift(unit=dict(UNIT, ActiveState='failed')) == ["service ActiveState is 'failed', wanted 'active'"]
    assert drift(unit=dict(UNIT, UnitFileState='disabled')) == ["service UnitFileState is 'disabled', wanted 'enabled'"]
    assert drift(unit={}) == ["service ActiveState is None, wanted 'active'",
                              "service UnitFileState is None, wanted 'enabled'",
                              "service NeedDaemonReload is None, wanted 'no'"]


def test_file_sha1_reads_files_larger_than_one_block(tmp_path):
    path = tmp_path / 'big.bin'
    path.write_bytes(bytes(range(256)) * 1000)   # 256000 bytes: several blocks
    assert file_sha1(str(path)) == hashlib.sha1(path.read_bytes()).hexdigest()
    assert file_sha1(str(tmp_path)) is None and file_sha1(None) is None


def test_no_package_wanted_and_none_installed_is_no_drift():
    assert node_drift({}, [], '', None, UNIT) == []
