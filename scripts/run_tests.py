#!/usr/bin/env python
"""Runs every quality gate and test suite of `make test`, then prints one summary line.

Each stage runs even when an earlier one failed, so a single run shows every
problem. pytest stages are counted test by test (from their JUnit XML); every
other stage counts as one test. The exit status is non-zero if anything failed.

A run cannot pass on tests that did not run: a pytest stage that collects no
test fails, and so does one whose tests all skip, unless the stage needs a
Docker engine and none answers. A stage whose tool is missing fails (the
others still run), and so does an unknown stage name given to --only.

The stages that need only the CPU run beside the e2e stage, which spends long stretches waiting
for the twin (a replacement node catching up leaves the machine about 90% idle for minutes). The
e2e output is shown when it ends; the summary keeps the order of the stages.
"""
import argparse
import os
import subprocess
import sys
import tempfile
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
# The stage that mostly waits, and the CPU-only stages that run beside it (not the twin's own
# tests, which time elections on loopback, nor the Docker stages, which compete for the same cores).
WAITING_STAGE = "e2e"
BESIDE_WAITING = ("sanity", "target-python", "ansible-lint", "yamllint", "unit", "mutation", "core-matrix")


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
    # on two cores (1600 s together against about 1370 s in turn). The CPU-only stages above run
    # beside e2e instead (BESIDE_WAITING).
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


def cpu_times():
    """(busy, total) jiffies of the whole machine, or None where /proc/stat is missing."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return sum(fields) - fields[3] - fields[4], sum(fields)


def busy_share(before, after):
    """The machine's CPU busy share between two cpu_times() readings, as a percentage ("-" if unknown)."""
    if not before or not after or after[1] <= before[1]:
        return "-"
    return "%d%%" % round(100.0 * (after[0] - before[0]) / (after[1] - before[1]))


def start_stage(name, cmd, log=None):
    """Start one stage; its output goes to `log` (a file) or to this process's output."""
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"))
    report = None
    if os.path.basename(cmd[0]) == "pytest":
        report = os.path.join(RESULTS, name.replace(":", "_").replace("/", "_") + ".xml")
        cmd = cmd + ["--junitxml", report]
        if os.path.exists(report):
            os.remove(report)
    print("\n==> %s: %s%s" % (name, " ".join(cmd), " (output when it ends)" if log else ""), flush=True)
    started = time.monotonic(), cpu_times()
    try:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT if log else None)
    except OSError as exc:
        print("%s: cannot run %s: %s" % (name, cmd[0], exc.strerror or exc), flush=True)
        return None, (name, 0, 1, 0, time.monotonic() - started[0], "-", "cannot run %s" % os.path.basename(cmd[0]))
    return process, (name, report, started)


def finish_stage(running, may_all_skip=False):
    """Wait for a started stage; its summary row (name, passed, failed, skipped, seconds, CPU busy, note)."""
    process, state = running
    if process is None:
        return state
    name, report, started = state
    rc = process.wait()
    elapsed, cpu = time.monotonic() - started[0], busy_share(started[1], cpu_times())
    if report:
        counts = junit_counts(report) if os.path.exists(report) else None
        passed, failed, skipped, note = judge_pytest(rc, counts, may_all_skip)
    else:
        passed, failed, skipped, note = (1, 0, 0, "") if rc == 0 else (0, 1, 0, "exit %d" % rc)
    if note:
        print("%s: %s" % (name, note), flush=True)
    return name, passed, failed, skipped, elapsed, cpu, note


def run_stage(name, cmd, may_all_skip=False):
    return finish_stage(start_stage(name, cmd), may_all_skip)


def run_beside(waiting, beside, may_all_skip):
    """Rows of the waiting stage, run in the background, and of the others, run in turn meanwhile."""
    name, cmd = waiting
    with tempfile.TemporaryFile() as log:
        running = start_stage(name, cmd, log)
        rows = [run_stage(other, other_cmd, may_all_skip(other)) for other, other_cmd in beside]
        row = finish_stage(running, may_all_skip(name))
        log.seek(0)
        print("\n==> %s output:" % name, flush=True)
        sys.stdout.buffer.write(log.read())
        sys.stdout.flush()
    return [row] + rows


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
    rows = [(name, 0, 1, 0, 0.0, "-", "unknown stage; known: " + ", ".join(known))
            for name in (args.only or []) if name not in known]
    for row in rows:
        print("%s: unknown stage name; known: %s" % (row[0], ", ".join(known)), flush=True)
    no_docker = []

    def may_all_skip(name):
        if name in DOCKER_STAGES or name.startswith("molecule:"):
            if not no_docker:
                no_docker.append(not docker_answers())
            return no_docker[0]
        return False

    waiting = [stage for stage in planned if stage[0] == WAITING_STAGE]
    beside = [stage for stage in planned if waiting and stage[0] in BESIDE_WAITING]
    finished = {}
    for name, cmd in planned:
        if name == WAITING_STAGE and beside:
            finished.update((row[0], row) for row in run_beside((name, cmd), beside, may_all_skip))
        elif (name, cmd) not in beside:
            finished[name] = run_stage(name, cmd, may_all_skip(name))
    rows += [finished[name] for name, _cmd in planned]
    # "cpu" is the whole machine's busy share while the stage ran, stages beside it included.
    print("\n%-28s %7s %7s %7s %8s %5s  %s" % ("stage", "passed", "failed", "skipped", "seconds", "cpu", "note"))
    for name, passed, failed, skipped, elapsed, cpu, note in rows:
        print(("%-28s %7d %7d %7d %8.1f %5s  %s" % (name, passed, failed, skipped, elapsed, cpu, note)).rstrip())
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
