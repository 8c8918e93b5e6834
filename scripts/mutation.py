#!/usr/bin/env python
"""Mutation testing of the code that decides a verdict, with mutmut, as a pass/fail gate.

mutmut changes one thing at a time in the target files (tests/mutation/mutation.ini) and
runs the unit tests against each change. A mutant the tests do not notice "survived". The
gate fails when the share of mutants killed is below the goal, or when a surviving mutant
is not in the equivalence list with its reason (a change that cannot alter behaviour).

The collection is imported as ansible_collections.esdb.cluster, so the run works on a fresh
copy laid out that way (like scripts/sanity.sh); nothing is reused from an earlier run.

  scripts/mutation.py                      every target (`make mutation`)
  scripts/mutation.py --bounded            targets changed since the merge base with main,
                                           topped up with the others up to --budget lines
"""
import argparse
import configparser
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
CONFIG = os.path.join("tests", "mutation", "mutation.ini")
RESULTS = os.path.join(ROOT, ".cache", "results")
PREFIX = "ansible_collections/esdb/cluster/"
KILLED = ("killed", "timeout", "segfault")


def load_config(root=ROOT, path=CONFIG):
    parser = configparser.ConfigParser()
    if not parser.read(os.path.join(root, path)):
        raise SystemExit("mutation: %s is missing" % path)
    section = parser["mutation"]
    patterns = section["targets"].split()
    targets = []
    for pattern in patterns:  # config order; a glob's files in name order
        for found in sorted(glob.glob(os.path.join(root, pattern))):
            if os.path.relpath(found, root) not in targets:
                targets.append(os.path.relpath(found, root))
    if not targets:
        raise SystemExit("mutation: no file matches the targets %s in %s" % (patterns, path))
    return dict(targets=targets, tests=section["tests"].split(), goal=float(section["goal"]),
                equivalent=section["equivalent"])


def module_of(path):
    """The dotted module name mutmut gives a target file in the staged layout."""
    return (PREFIX + path)[:-len(".py")].replace("/", ".")


def changed_since_merge_base(root=ROOT, base="main"):
    """Files changed on this branch: committed since the merge base, staged, unstaged or new."""
    def git(*args):
        return subprocess.run(("git",) + args, cwd=root, check=True, capture_output=True,
                              text=True).stdout
    try:
        merge_base = git("merge-base", "HEAD", base).strip()
    except subprocess.CalledProcessError:
        return None
    changed = set(git("diff", "--name-only", merge_base).split())
    changed |= set(git("ls-files", "--others", "--exclude-standard").split())
    return changed


def pick_bounded(targets, changed, sizes, budget):
    """Changed targets first, then the others in config order while within budget lines.

    Always at least one file, so the stage never passes on nothing.
    """
    chosen = [t for t in targets if changed is not None and t in changed]
    total = sum(sizes[t] for t in chosen)
    for target in targets:
        if target in chosen or (chosen and total + sizes[target] > budget):
            continue
        chosen.append(target)
        total += sizes[target]
    return [t for t in targets if t in chosen]


def stage_copy(root=ROOT):
    """A fresh copy of the files git knows, under <tmp>/ansible_collections/esdb/cluster."""
    base = os.path.join(os.environ.get("TMPDIR", "/tmp"), "esdb-cluster-mutation-"
                        + hashlib.sha256(root.encode()).hexdigest()[:12])
    shutil.rmtree(base, ignore_errors=True)
    copy = os.path.join(base, PREFIX)
    os.makedirs(copy)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=root, check=True, capture_output=True).stdout.split(b"\0")
    for name in (n.decode() for n in listed if n):
        source = os.path.join(root, name)
        if os.path.isfile(source) and not os.path.islink(source):
            os.makedirs(os.path.dirname(os.path.join(copy, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(copy, name))
    return base


def write_mutmut_config(base, files, tests):
    staged = [PREFIX + f for f in files]
    lines = ["[mutmut]",
             "source_paths = " + PREFIX + "plugins",
             "only_mutate =", *("    " + s for s in staged),
             # mutmut copies whole folders; a test file named alone brings its folder along.
             "also_copy =", "    pytest.ini",
             *sorted(set("    " + PREFIX + (os.path.dirname(t) if t.endswith(".py") else t) for t in tests)),
             "pytest_add_cli_args_test_selection =", *("    " + PREFIX + t for t in tests)]
    with open(os.path.join(base, "setup.cfg"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    # The checkout's pytest.ini points at .collections; the copy imports from mutants/ instead.
    with open(os.path.join(base, "pytest.ini"), "w") as handle:
        handle.write("[pytest]\naddopts = -p no:cacheprovider\n")


def mutmut(base, *args, log=None):
    cmd = [os.path.join(VENV_BIN, "mutmut"), *args]
    if log is None:
        return subprocess.run(cmd, cwd=base, capture_output=True, text=True, check=True).stdout
    with open(log, "w") as handle:
        return subprocess.call(cmd, cwd=base, stdout=handle, stderr=subprocess.STDOUT)


DIFFS = """
import json, sys
from mutmut.__main__ import find_mutant, get_diff_for_mutant
print(json.dumps({n: get_diff_for_mutant(n, path=find_mutant(n).path) for n in sys.argv[1:]}))
"""


def mutant_diffs(base, names):
    """{mutant name: unified diff}, in one process (`mutmut show` starts one per mutant)."""
    if not names:
        return {}
    out = subprocess.run([os.path.join(VENV_BIN, "python"), "-c", DIFFS, *names], cwd=base,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def parse_results(text):
    """{mutant name: status} from `mutmut results --all true`."""
    found = {}
    for line in text.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            found[name] = status
    return found


def changed_lines(diff):
    """The removed and added lines of a mutant's diff, stripped: what identifies the change."""
    return [line[0] + " " + line[1:].strip() for line in diff.splitlines()
            if line[:1] in "-+" and not line.startswith(("---", "+++"))]


def load_equivalents(path):
    with open(path) as handle:
        entries = yaml.safe_load(handle) or []
    for entry in entries:
        if not (entry.get("mutant") and entry.get("change") and entry.get("reason")):
            raise SystemExit("mutation: every entry of %s needs mutant, change and reason: %r"
                             % (path, entry))
    return {e["mutant"]: e for e in entries}


def judge(statuses, diffs, equivalents, goal, files):
    """(passed, lines): the verdict on one run and the sentences that explain it."""
    total = len(statuses)
    killed = sum(1 for s in statuses.values() if s in KILLED)
    lines, failed = [], False
    if total == 0:
        return False, ["no mutant was run: check the targets in %s" % CONFIG]
    score = 100.0 * killed / total
    lines.append("mutation score: %d/%d killed (%.1f%%, goal %g%%)" % (killed, total, score, goal))
    if score < goal:
        failed = True
        lines.append("FAIL: the score is below the goal of %g%%" % goal)
    for name in sorted(n for n, s in statuses.items() if s not in KILLED):
        entry = equivalents.get(name)
        change = changed_lines(diffs.get(name, ""))
        if entry is None:
            failed = True
            lines.append("FAIL: %s %s and is not listed as equivalent:\n    %s"
                         % (name, statuses[name], "\n    ".join(change)))
        elif [c.strip() for c in entry["change"]] != change:
            failed = True
            lines.append("FAIL: %s is listed as equivalent for another change (the code moved); "
                         "check it again:\n    %s" % (name, "\n    ".join(change)))
        else:
            lines.append("equivalent: %s (%s)" % (name, entry["reason"]))
    run_modules = tuple(module_of(f) + "." for f in files)
    for name in sorted(equivalents):
        if name.startswith(run_modules) and statuses.get(name) in KILLED + (None,):
            failed = True
            lines.append("FAIL: %s is listed as equivalent but was %s; remove it from the list"
                         % (name, statuses.get(name) or "not generated"))
    return not failed, lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bounded", action="store_true",
                        help="changed targets first, then others up to --budget lines")
    parser.add_argument("--budget", type=int, default=330,
                        help="lines of target code a bounded run takes on (about 0.5 s a line on 2 cores)")
    parser.add_argument("--base", default="main", help="branch whose merge base marks 'changed'")
    parser.add_argument("--report", default=os.path.join(RESULTS, "mutation.txt"))
    args = parser.parse_args()
    started = time.monotonic()
    config = load_config()
    equivalents = load_equivalents(os.path.join(ROOT, config["equivalent"]))
    files = config["targets"]
    base = stage_copy()
    if args.bounded:
        sizes = {}
        for path in files:
            with open(os.path.join(ROOT, path)) as handle:
                sizes[path] = len(handle.readlines())
        files = pick_bounded(files, changed_since_merge_base(base=args.base), sizes, args.budget)
    write_mutmut_config(base, files, config["tests"])
    print("mutation: %d file(s): %s" % (len(files), ", ".join(files)), flush=True)
    log = os.path.join(base, "mutmut.log")
    rc = mutmut(base, "run", log=log)
    statuses = parse_results(mutmut(base, "results", "--all", "true"))
    diffs = mutant_diffs(base, [n for n, s in statuses.items() if s not in KILLED])
    if rc != 0:
        passed, lines = False, ["FAIL: mutmut exited with %d; its log: %s" % (rc, log)]
    else:
        passed, lines = judge(statuses, diffs, equivalents, config["goal"], files)
    elapsed = time.monotonic() - started
    lines.append("files: %s" % ", ".join(files))
    lines.append("took %.0f s" % elapsed)
    os.makedirs(os.path.dirname(args.report), exist_ok=True)
    with open(args.report, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    with open(os.path.splitext(args.report)[0] + ".json", "w") as handle:
        json.dump(dict(statuses=statuses, files=files, seconds=round(elapsed)), handle, indent=1)
    print("\n".join(lines))
    print("report: %s" % args.report)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
