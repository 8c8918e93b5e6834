"""scripts/run_tests.py cannot report a pass for tests that did not run."""

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / 'scripts' / 'run_tests.py'


@pytest.fixture()
def runner(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location('run_tests_under_test', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, 'RESULTS', str(tmp_path / 'results'))
    (tmp_path / 'results').mkdir()
    return module


def suite(tmp_path, name, body):
    folder = tmp_path / name
    folder.mkdir()
    (folder / ('test_%s.py' % name)).write_text('import pytest\n\n' + body)
    return str(folder)


def use_stages(monkeypatch, runner, named):
    monkeypatch.setattr(runner, 'stages', lambda molecule, extra: iter(named))


def summary(capsys):
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith('Summary: ')]


def test_a_passing_stage_counts_its_tests(runner, tmp_path):
    path = suite(tmp_path, 'ok', 'def test_a():\n    pass\n\ndef test_b():\n    pass\n')
    assert runner.run_stage('ok', runner.pytest(path))[1:4] == (2, 0, 0)


def test_a_stage_that_collects_no_test_fails(runner, tmp_path):
    path = suite(tmp_path, 'empty', 'X = 1\n')
    row = runner.run_stage('empty', runner.pytest(path))
    assert (row[1], row[2], row[-1]) == (0, 1, 'collected no test')


def test_a_stage_whose_tests_all_skip_fails_where_it_must_run(runner, tmp_path):
    path = suite(tmp_path, 'skipped', 'def test_a():\n    pytest.skip("no engine")\n')
    assert runner.run_stage('skipped', runner.pytest(path))[1:4] == (0, 1, 1)
    # Where the stage may skip (its Docker engine is missing), skipping alone is no failure.
    assert runner.run_stage('skipped', runner.pytest(path), may_all_skip=True)[1:4] == (0, 0, 1)


def test_some_skips_beside_passes_are_fine(runner, tmp_path):
    path = suite(tmp_path, 'mixed', 'def test_a():\n    pass\n\ndef test_b():\n    pytest.skip("later")\n')
    assert runner.run_stage('mixed', runner.pytest(path))[1:4] == (1, 0, 1)


def test_docker_stages_must_run_when_docker_answers(runner, tmp_path, monkeypatch, capsys):
    path = suite(tmp_path, 'skipped', 'def test_a():\n    pytest.skip("no engine")\n')
    use_stages(monkeypatch, runner, [('integration', runner.pytest(path))])
    monkeypatch.setattr(runner, 'docker_answers', lambda: True)
    assert runner.main([]) == 1
    assert summary(capsys) == ['Summary: 0 passed, 1 failed, 1 skipped']
    monkeypatch.setattr(runner, 'docker_answers', lambda: False)
    assert runner.main([]) == 0
    assert summary(capsys) == ['Summary: 0 passed, 0 failed, 1 skipped']


def test_a_missing_tool_fails_its_stage_and_the_others_still_run(runner, tmp_path, monkeypatch, capsys):
    use_stages(monkeypatch, runner, [
        ('lint', [str(tmp_path / 'no-such-tool'), '-q']),
        ('check', [sys.executable, '-c', 'pass']),
    ])
    assert runner.main([]) == 1
    out = capsys.readouterr().out
    assert 'lint: cannot run %s' % (tmp_path / 'no-such-tool') in out
    assert out.splitlines()[-1] == 'Summary: 1 passed, 1 failed'


def test_an_unknown_stage_name_fails(runner, monkeypatch, capsys):
    use_stages(monkeypatch, runner, [('check', [sys.executable, '-c', 'pass'])])
    assert runner.main(['--only', 'chek', 'check']) == 1
    out = capsys.readouterr().out
    assert 'chek: unknown stage name; known: check' in out
    assert out.splitlines()[-1] == 'Summary: 1 passed, 1 failed'


def test_a_failing_command_stage_fails(runner, monkeypatch, capsys):
    use_stages(monkeypatch, runner, [('check', [sys.executable, '-c', 'raise SystemExit(3)'])])
    assert runner.main([]) == 1
    assert summary(capsys) == ['Summary: 0 passed, 1 failed']


def test_pytest_breaking_outside_any_test_fails(runner, tmp_path):
    path = suite(tmp_path, 'broken', 'import no_such_module_here\n\ndef test_a():\n    pass\n')
    assert runner.run_stage('broken', runner.pytest(path))[2] == 1


def test_make_test_runs_the_mutation_gate_after_the_unit_tests(runner):
    names = [stage[0] for stage in runner.stages([], [])]
    assert names.index('mutation') == names.index('unit') + 1


def test_cpu_only_stages_run_while_the_e2e_stage_waits(runner, tmp_path, monkeypatch, capsys):
    """e2e here waits for a file that only the later `unit` stage writes: run in turn, it would time out."""
    flag = tmp_path / 'unit-ran'
    waits = ('import os, sys, time\nend = time.time() + 30\nwhile not os.path.exists(%r):\n'
             '    if time.time() > end:\n        sys.exit(7)\n    time.sleep(0.05)\nprint("e2e saw the flag")\n' % str(flag))
    use_stages(monkeypatch, runner, [
        ('unit', [sys.executable, '-c', 'open(%r, "w").close()' % str(flag)]),
        ('twin', [sys.executable, '-c', 'pass']),
        ('e2e', [sys.executable, '-c', waits]),
    ])
    monkeypatch.setattr(runner, 'docker_answers', lambda: True)
    assert runner.main([]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == 'Summary: 3 passed, 0 failed'
    # The e2e output is shown once it ends, after the stages that ran beside it.
    assert out.index('==> unit:') < out.index('==> e2e output:') < out.rindex('e2e saw the flag')
    # The twin stage is not CPU-only: it ran before e2e started, in its place.
    assert out.index('==> twin:') < out.index('==> e2e:') < out.index('==> unit:')
    table = out[out.index('\nstage '):].splitlines()[2:5]
    assert [line.split()[0] for line in table] == ['unit', 'twin', 'e2e']


def test_a_failure_beside_the_e2e_stage_is_counted(runner, tmp_path, monkeypatch, capsys):
    use_stages(monkeypatch, runner, [
        ('sanity', [sys.executable, '-c', 'raise SystemExit(2)']),
        ('e2e', [sys.executable, '-c', 'pass']),
    ])
    monkeypatch.setattr(runner, 'docker_answers', lambda: True)
    assert runner.main([]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == 'Summary: 1 passed, 1 failed'
    table = out[out.index('\nstage '):].splitlines()[2:4]
    assert [line.split()[:3] for line in table] == [['sanity', '0', '1'], ['e2e', '1', '0']]


def test_the_cpu_share_is_the_busy_part_of_the_time(runner):
    assert runner.busy_share((100, 1000), (400, 2000)) == '30%'
    assert runner.busy_share(None, (400, 2000)) == '-'
    assert runner.busy_share((100, 1000), (100, 1000)) == '-'
    busy, total = runner.cpu_times()
    assert 0 <= busy <= total
