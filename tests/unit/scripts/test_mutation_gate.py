"""scripts/mutation.py's verdict: the score goal, the equivalence list and the bounded file choice."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / 'scripts' / 'mutation.py'
MOD = 'ansible_collections.esdb.cluster.plugins.module_utils.m'
DIFF = '--- a\n+++ b\n@@ -1 +1 @@\n-    x = 1\n+    x = 2\n'


@pytest.fixture(scope='module')
def gate():
    spec = importlib.util.spec_from_file_location('mutation_under_test', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def statuses(killed, survived=()):
    found = {'%s.x_f__mutmut_%d' % (MOD, i): 'killed' for i in range(killed)}
    found.update({name: 'survived' for name in survived})
    return found


def entry(name, change=('- x = 1', '+ x = 2')):
    return {name: {'mutant': name, 'change': list(change), 'reason': 'why'}}


def test_all_killed_passes(gate):
    passed, lines = gate.judge(statuses(10), {}, {}, 90, ['plugins/module_utils/m.py'])
    assert passed and lines[0] == 'mutation score: 10/10 killed (100.0%, goal 90%)'


def test_an_unlisted_survivor_fails_even_above_the_goal(gate):
    name = MOD + '.x_f__mutmut_99'
    passed, lines = gate.judge(statuses(99, [name]), {name: DIFF}, {}, 90, ['plugins/module_utils/m.py'])
    assert not passed
    assert lines[1] == 'FAIL: %s survived and is not listed as equivalent:\n    - x = 1\n    + x = 2' % name


def test_a_listed_survivor_passes_and_a_moved_one_fails(gate):
    name = MOD + '.x_f__mutmut_99'
    assert gate.judge(statuses(99, [name]), {name: DIFF}, entry(name), 90, ['plugins/module_utils/m.py'])[0]
    moved = entry(name, ('- y = 1', '+ y = 2'))
    passed, lines = gate.judge(statuses(99, [name]), {name: DIFF}, moved, 90, ['plugins/module_utils/m.py'])
    assert not passed and 'listed as equivalent for another change' in lines[1]


def test_a_score_below_the_goal_fails(gate):
    names = [MOD + '.x_g__mutmut_%d' % i for i in range(2)]
    listed = {}
    for name in names:
        listed.update(entry(name))
    passed, lines = gate.judge(statuses(8, names), dict.fromkeys(names, DIFF), listed, 90,
                               ['plugins/module_utils/m.py'])
    assert not passed and 'FAIL: the score is below the goal of 90%' in lines


def test_a_listed_mutant_that_is_killed_must_leave_the_list(gate):
    name = MOD + '.x_f__mutmut_0'
    passed, lines = gate.judge(statuses(5), {}, entry(name), 90, ['plugins/module_utils/m.py'])
    assert not passed and lines[-1] == 'FAIL: %s is listed as equivalent but was killed; remove it from the list' % name


def test_no_mutant_fails(gate):
    assert gate.judge({}, {}, {}, 90, [])[0] is False


def test_bounded_takes_changed_files_then_others_in_order_within_the_budget(gate):
    targets = ['a.py', 'b.py', 'c.py', 'd.py']
    sizes = {'a.py': 100, 'b.py': 300, 'c.py': 50, 'd.py': 400}
    assert gate.pick_bounded(targets, set(), sizes, 200) == ['a.py', 'c.py']
    assert gate.pick_bounded(targets, {'d.py'}, sizes, 200) == ['d.py']
    # Never nothing: the first file is taken even when it alone is over the budget.
    assert gate.pick_bounded(targets, None, {'a.py': 900, 'b.py': 1, 'c.py': 1, 'd.py': 1}, 10) == ['a.py']


def test_the_config_lists_module_utils_the_filters_and_their_unit_tests(gate):
    config = gate.load_config()
    assert 'plugins/module_utils/cluster_verdict.py' in config['targets']
    assert config['targets'][-4:] == ['plugins/plugin_utils/cluster_layout.py', 'plugins/plugin_utils/node_drift.py',
                                      'plugins/plugin_utils/role_inputs.py', 'plugins/plugin_utils/cluster_size_guard.py']
    assert config['tests'] == ['tests/unit/plugins/module_utils', 'tests/unit/plugins/modules',
                               'tests/unit/plugins/plugin_utils/test_cluster_layout.py',
                               'tests/unit/plugins/plugin_utils/test_node_drift.py',
                               'tests/unit/plugins/plugin_utils/test_role_inputs.py',
                               'tests/unit/plugins/plugin_utils/test_cluster_size_guard.py']
    assert config['goal'] == 90
