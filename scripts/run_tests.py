#!/usr/bin/env python
"""Runs every quality gate and test suite of `make test`, then prints one summary line.

Each stage runs even when an earlier one failed, so a single run shows every
problem. pytest stages are counted test by test (from their JUnit XML); every
other stage counts as one test. The exit status is non-zero if anything failed.
"""
import argparse
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
RESULTS = os.path.join(ROOT, ".cache", "results")


def pytest(*paths):
    return [os.path.join(VENV_BIN, "pytest"), "-q", *paths]


def molecule(scenario):
    return [os.path.join(VENV_BIN, "molecule"), "test", "-s", scenario]


def stages(molecule_scenarios, extra):
    yield "sanity", ["scripts/sanity.sh"]
    yield "ansible-lint", [os.path.join(VENV_BIN, "ansible-lint"), "--offline", "-q"]
    yield "yamllint", [os.path.join(VENV_BIN, "yamllint"), "--strict", "."]
    yield "unit", pytest("tests/unit")
    yield "twin", pytest("tests/twin/tests")
    yield "integration", pytest("tests/integration")
    for scenario in molecule_scenarios:
        yield "molecule:" + scenario, molecule(scenario)
    yield "e2e", pytest("tests/e2e")
    for name in extra:
        yield name, pytest(name)


def junit_counts(path):
    """(passed, failed, skipped) from a JUnit XML report."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def run_stage(name, cmd):
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"))
    is_pytest = os.path.basename(cmd[0]) == "pytest"
    report = os.path.join(RESULTS, name.replace(":", "_").replace("/", "_") + ".xml")
    if is_pytest:
        cmd = cmd + ["--junitxml", report]
        if os.path.exists(report):
            os.remove(report)
    print("\n==> %s: %s" % (name, " ".join(cmd)), flush=True)
    started = time.monotonic()
    rc = subprocess.call(cmd, cwd=ROOT, env=env)
    elapsed = time.monotonic() - started
    if is_pytest and os.path.exists(report):
        passed, failed, skipped = junit_counts(report)
        if rc not in (0, 5) and failed == 0:  # pytest broke outside any test
            failed = 1
    else:
        passed, failed, skipped = (1, 0, 0) if rc == 0 else (0, 1, 0)
    return name, passed, failed, skipped, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--molecule", default="", help="space-separated Molecule scenarios")
    parser.add_argument("--only", nargs="*", help="run only these stage names")
    parser.add_argument("--extra", nargs="*", default=[], help="more pytest paths, each its own stage")
    args = parser.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    rows = [run_stage(name, cmd)
            for name, cmd in stages(args.molecule.split(), args.extra)
            if not args.only or name in args.only]
    print("\n%-28s %7s %7s %7s %8s" % ("stage", "passed", "failed", "skipped", "seconds"))
    for name, passed, failed, skipped, elapsed in rows:
        print("%-28s %7d %7d %7d %8.1f" % (name, passed, failed, skipped, elapsed))
    passed, failed, skipped = (sum(r[i] for r in rows) for i in (1, 2, 3))
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print("\nSummary: " + line, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
