#!/usr/bin/env python
"""The controller-side tests on every ansible-core release the collection claims (meta/runtime.yml).

.venv carries the newest claimed release. For each older one, a venv under .cache/core/<version>
gets that ansible-core and the test libraries pinned in requirements.txt, and runs the tests that
need no Docker: the plugin and module unit tests, the role's controller-only preflight tests and the
provisioning bad-input tests (against moto, which keeps running on .venv's Python).
The test harness takes its tools from ESDB_VENV_BIN, so each run uses that release's
ansible-playbook.

    scripts/core_matrix.py [--versions 2.17.14 2.18.12] [-- PYTEST ARGS]
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
# The oldest claimed release and the one between it and .venv's, each at its last patch release.
VERSIONS = ("2.17.14", "2.18.12")
TESTS = ("tests/unit", "tests/integration/test_role_preflight.py", "tests/integration/test_provision_bad_input.py")
# Test libraries taken at requirements.txt's pins; ansible-core brings its own dependencies.
LIBRARIES = ("pytest", "cryptography", "boto3", "botocore", "jsonschema", "requests", "moto")


def claimed_floor():
    text = (REPO / "meta" / "runtime.yml").read_text(encoding="utf-8")
    return re.search(r'requires_ansible:\s*">=([0-9.]+)"', text).group(1)


def pins():
    lines = (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
    wanted = {name.lower() for name in LIBRARIES}
    return [line.split()[0] for line in lines if re.split(r"[\[=]", line)[0].strip().lower() in wanted]


def ensure_venv(version):
    venv = REPO / ".cache" / "core" / version
    python = venv / "bin" / "python"
    stamp = venv / ".ready"
    if stamp.exists():
        return venv
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "ansible-core==" + version, *pins()], check=True)
    stamp.write_text(version + "\n", encoding="utf-8")
    return venv


def start_tests(version, pytest_args, log):
    """Start the tests on one release (its venv made first); their output goes to `log`."""
    venv = ensure_venv(version)
    bin_dir = venv / "bin"
    env = dict(os.environ, ESDB_VENV_BIN=str(bin_dir), ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"),
               PATH=str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    report = REPO / ".cache" / "results" / ("core-%s.xml" % version)
    report.parent.mkdir(parents=True, exist_ok=True)
    command = [str(bin_dir / "pytest"), "-q", "-p", "no:cacheprovider", "--junitxml", str(report), *TESTS,
               *pytest_args]
    print("[core-matrix] ansible-core %s: %s" % (version, " ".join(TESTS)), flush=True)
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", nargs="+", default=list(VERSIONS))
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    floor = claimed_floor()
    if not any(v.split(".")[:2] == floor.split(".")[:2] for v in args.versions):
        sys.exit("meta/runtime.yml claims ansible-core >=%s, and no version tested here is %s.x" % (floor, floor))
    # The releases run side by side: the suites mostly wait on ansible-playbook and moto, and every
    # test keeps to its own temporary directory and moto port.
    logs = {v: tempfile.TemporaryFile() for v in args.versions}
    runs = {v: start_tests(v, args.pytest_args, logs[v]) for v in args.versions}
    failed = []
    for version, run in runs.items():
        if run.wait() != 0:
            failed.append(version)
        logs[version].seek(0)
        print("[core-matrix] ansible-core %s output:" % version, flush=True)
        sys.stdout.buffer.write(logs[version].read())
        sys.stdout.flush()
    if failed:
        sys.exit("failed on ansible-core " + ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
