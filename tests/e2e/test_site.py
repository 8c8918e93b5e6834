"""site.yml end to end on the local twin: provision, inventory, configure, verify; then a rerun.

This is `make demo` as a test: moto for EC2, one container per instance, the
test-only node emulator from the twin's signed apt repository. It takes the demo's
network and addresses, so it removes a running demo first and leaves none behind.
"""
import json
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)

pytestmark = pytest.mark.docker


def run(*cmd):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    env["PATH"] = os.path.join(ROOT, ".venv", "bin") + os.pathsep + env["PATH"]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


def recap(output):
    return {host: {"ok": int(ok), "changed": int(changed), "unreachable": int(unr), "failed": int(failed)}
            for host, ok, changed, unr, failed in RECAP.findall(output)}


@pytest.fixture(scope="module")
def demo():
    run("scripts/demo.sh", "down")
    rc, output = run("scripts/demo.sh")
    yield rc, output
    run("scripts/demo.sh", "down")


def test_site_ends_with_a_ready_cluster(demo):
    rc, output = demo
    assert rc == 0, output[-6000:]
    nodes = [h for h in recap(output) if h != "localhost"]
    assert len(nodes) == 3, recap(output)
    assert len(re.findall(r"\bLeader\b.*\*", output)) >= 1, output[-3000:]
    assert re.search(r"esdb://10\.42\.0\.\d+:2113,10\.42\.0\.\d+:2113,10\.42\.0\.\d+:2113\?tls=true", output)


def test_rerun_changes_nothing(demo):
    assert demo[0] == 0, "the first run failed"
    rc, output = run("ansible-playbook", "site.yml", "-i", "inventories/local")
    assert rc == 0, output[-6000:]
    hosts = recap(output)
    assert len(hosts) == 4, hosts
    assert {h: r["changed"] for h, r in hosts.items() if r["changed"]} == {}, output[-6000:]


def test_demo_down_removes_everything(demo):
    assert demo[0] == 0, "the first run failed"
    for _attempt in range(2):  # a second teardown finds nothing and still succeeds
        rc, output = run("scripts/demo.sh", "down")
        assert rc == 0, output
    for selector in ("label=esdb.twin.instance", "name=esdb-twin-apt-esdb-demo"):
        leftovers = subprocess.run(["docker", "ps", "-aq", "--filter", selector],
                                   capture_output=True, text=True, check=True)
        assert leftovers.stdout.split() == [], selector
    networks = subprocess.run(["docker", "network", "ls", "-q", "--filter", "name=^esdb-demo$"],
                              capture_output=True, text=True, check=True)
    assert networks.stdout.split() == []
    for generated in (".cache/twin/ec2twin.json", "inventories/local/group_vars/all/twin_subnet.yml",
                      os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"),
                                   "esdb.cluster", "demo-pki")):
        assert not os.path.exists(os.path.join(ROOT, generated)), generated
    rc, output = run("tests/twin/ec2/ec2twin", "status")
    assert rc == 0 and json.loads(output)["moto_alive"] is False, output
