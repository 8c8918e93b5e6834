#!/usr/bin/env python
"""Runs every quality gate and test suite of `make test`, then prints one summary line.

Each stage runs even when an earlier one failed, so a single run shows every
problem. pytest stages are counted test by test (from their JUnit XML); every
other stage counts as one test. The exit status is non-zero if anything failed.

A run cannot pass on tests that did not run: a pytest stage that collects no
test fails, and so does one whose tests all skip, unless the stage needs a
Docker engine and none answers. A stage whose tool is missing fails (the
others still run), and so does an unknown stage name given to --only.
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


# Stages whose tests may all skip, but only while no Docker engine answers.
DOCKER_STAGES = ("twin", "integration", "e2e")


def stages(molecule_scenarios, extra):
    yield "sanity", ["scripts/sanity.sh"]
    yield "target-python", ["scripts/check_target_python.sh"]
    yield "ansible-lint", [os.path.join(VENV_BIN, "ansible-lint"), "--offline", "-q"]
    yield "yamllint", [os.path.join(VENV_BIN, "yamllint"), "--strict", "."]
    yield "unit", pytest("tests/unit")
    yield "mutation", [os.path.join(VENV_BIN, "python"), "scripts/mutation.py", "--bounded"]
    yield "core-matrix", [os.path.join(VENV_BIN, "python"), "scripts/core_matrix.py"]
    yield "twin", pytest("tests/twin/tests")
    # Two workers, whole files each, longest first (tests/integration/conftest.py): 798 s instead of
    # about 1090 s one file at a time on a two-core machine.
    yield "integration", pytest("tests/integration", "-n", "2", "--dist", "loadfile", "--no-loadscope-reorder")
    # The Docker stages run one after the other: beside the Molecule scenarios, e2e made both slower
    # on two cores (1600 s together against about 1370 s in turn).
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


def docker_answers():
    try:
        return subprocess.call(["docker", "info"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=30) == 0
    except (OSError, subprocess.SubprocessError):
        return False


def judge_pytest(rc, counts, may_all_skip):
    """(passed, failed, skipped, note) of a pytest stage from its exit code and JUnit counts."""
    if counts is None:
        return 0, 1, 0, "pytest wrote no report (exit %d)" % rc
    passed, failed, skipped = counts
    if passed + failed + skipped == 0:
        return 0, 1, 0, "collected no test"
    if passed == 0 and failed == 0 and not may_all_skip:
        return 0, 1, skipped, "every test skipped"
    if rc != 0 and failed == 0:  # pytest broke outside any test
        return passed, 1, skipped, "pytest exited %d" % rc
    return passed, failed, skipped, ""


def run_stage(name, cmd, may_all_skip=False):
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
    try:
        rc = subprocess.call(cmd, cwd=ROOT, env=env)
    except OSError as exc:
        print("%s: cannot run %s: %s" % (name, cmd[0], exc.strerror or exc), flush=True)
        return name, 0, 1, 0, time.monotonic() - started, "cannot run %s" % os.path.basename(cmd[0])
    elapsed = time.monotonic() - started
    if is_pytest:
        counts = junit_counts(report) if os.path.exists(report) else None
        passed, failed, skipped, note = judge_pytest(rc, counts, may_all_skip)
    else:
        passed, failed, skipped, note = (1, 0, 0, "") if rc == 0 else (0, 1, 0, "exit %d" % rc)
    if note:
        print("%s: %s" % (name, note), flush=True)
    return name, passed, failed, skipped, elapsed, note


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--molecule", default="", help="space-separated Molecule scenarios")
    parser.add_argument("--only", nargs="*", help="run only these stage names")
    parser.add_argument("--extra", nargs="*", default=[], help="more pytest paths, each its own stage")
    args = parser.parse_args(argv)
    os.makedirs(RESULTS, exist_ok=True)
    planned = [(name, cmd) for name, cmd in stages(args.molecule.split(), args.extra)
               if not args.only or name in args.only]
    known = [stage[0] for stage in stages(args.molecule.split(), args.extra)]
    rows = [(name, 0, 1, 0, 0.0, "unknown stage; known: " + ", ".join(known))
            for name in (args.only or []) if name not in known]
    for row in rows:
        print("%s: unknown stage name; known: %s" % (row[0], ", ".join(known)), flush=True)
    no_docker = None
    for name, cmd in planned:
        may_all_skip = False
        if name in DOCKER_STAGES or name.startswith("molecule:"):
            if no_docker is None:
                no_docker = not docker_answers()
            may_all_skip = no_docker
        rows.append(run_stage(name, cmd, may_all_skip))
    print("\n%-28s %7s %7s %7s %8s  %s" % ("stage", "passed", "failed", "skipped", "seconds", "note"))
    for name, passed, failed, skipped, elapsed, note in rows:
        print(("%-28s %7d %7d %7d %8.1f  %s" % (name, passed, failed, skipped, elapsed, note)).rstrip())
    passed, failed, skipped = (sum(r[i] for r in rows) for i in (1, 2, 3))
    if not rows:
        failed = 1
        print("no stage ran")
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print("\nSummary: " + line, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
