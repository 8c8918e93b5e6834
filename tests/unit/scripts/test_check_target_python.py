"""scripts/check_target_python.sh fails on code that needs a Python newer than 3.8, and passes the modules."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / 'scripts' / 'check_target_python.sh'


def check(*args):
    return subprocess.run([str(SCRIPT), '--no-compile'] + [str(a) for a in args], cwd=str(ROOT),
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize('source, needs', [
    ('merged = {} | {"a": 1}\n', 'dict union (dict | dict) requires !2, 3.9'),
    ('import zoneinfo\n', "'zoneinfo' module requires !2, 3.9"),
    ('def f(x):\n    match x:\n        case 1:\n            return 1\n', 'pattern matching requires !2, 3.10'),
])
def test_code_for_a_newer_python_fails_naming_the_file_and_the_feature(tmp_path, source, needs):
    bad = tmp_path / 'newer.py'
    bad.write_text(source)
    (tmp_path / 'fine.py').write_text('import time\nprint(time.monotonic())\n')
    result = check(tmp_path)
    assert result.returncode != 0
    assert str(bad) in result.stdout and needs in result.stdout
    assert 'Target versions not met:   3.8-' in result.stdout


def test_code_for_3_8_passes(tmp_path):
    (tmp_path / 'fine.py').write_text('from functools import lru_cache\nx = (y := 1)\n')
    result = check(tmp_path / 'fine.py')
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_modules_and_module_utils_need_nothing_newer_than_3_8():
    result = check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert '[target-python] vermin -t=3.8- over plugins/modules plugins/module_utils' in result.stdout
    assert 'Target versions not met' not in result.stdout
