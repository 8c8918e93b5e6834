"""site.yml end to end on the local twin: provision, inventory, configure, verify; then a rerun.

This is `make demo` as a test: moto for EC2, one container per instance, the
test-only node emulator from the twin's signed apt repository, and the controller
outside the VPC, reaching the nodes over SSH through the jump host. It takes the
demo's networks and addresses, so it removes a running demo first and leaves none
behind. The playbooks after the demo run from this machine, through the same jump host.
"""
import json
import os
import re
import subprocess
import tempfile
import time

import boto3
import pytest

from ansible_collections.esdb.cluster.tests.lib.event_load import HttpNode, Writer, lost, verify

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)

pytestmark = pytest.mark.docker


def run(*cmd):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    env["PATH"] = os.path.join(ROOT, ".venv", "bin") + os.pathsep + env["PATH"]
    # SSH connection masters of this command only: a torn-down node's address is soon a new node's.
    with tempfile.TemporaryDirectory(prefix="esdb-ssh-") as masters:
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = masters
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


PROBE = """
import socket, sys
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
        print(target, "reached")
    except OSError:
        print(target, "unreachable")
"""


def test_the_demo_controller_reaches_the_api_and_the_jump_host_and_no_node(demo):
    """site.yml ran as a laptop would, in access mode bastion: every node connection took the SSH hop."""
    assert demo[0] == 0, "the first run failed"
    nodes = sorted(node_containers())
    assert len(nodes) == 3, nodes
    targets = ["10.42.240.1:4566", "10.42.240.10:22"] + ["%s:%d" % (ip, port) for ip in nodes for port in (22, 2113)]
    rc, output = run("tests/twin/ec2/ec2twin", "exec", "--", "python3", "-c", PROBE, *targets)
    assert rc == 0, output
    seen = dict(line.split() for line in output.splitlines() if line.strip())
    assert seen == {t: "reached" if t.startswith("10.42.240.") else "unreachable" for t in targets}, seen


def test_rerun_changes_nothing(demo):
    assert demo[0] == 0, "the first run failed"
    rc, output = run("ansible-playbook", "site.yml", "-i", "inventories/local")
    assert rc == 0, output[-6000:]
    hosts = recap(output)
    assert len(hosts) == 4, hosts
    assert {h: r["changed"] for h, r in hosts.items() if r["changed"]} == {}, output[-6000:]


def twin_ec2():
    with open(os.path.join(ROOT, ".cache", "twin", "ec2twin.json"), encoding="utf-8") as state_file:
        state = json.load(state_file)
    return boto3.client("ec2", endpoint_url=state["endpoint_url"], region_name=state["region"],
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def twin_instances(ec2, *states, name=None):
    """The twin's instances in these states (optionally only the one tagged Name=name)."""
    filters = [{"Name": "instance-state-name", "Values": list(states)}]
    if name:
        filters.append({"Name": "tag:Name", "Values": [name]})
    return [i for r in ec2.describe_instances(Filters=filters)["Reservations"] for i in r["Instances"]]


def node_containers():
    """{private IP: container id} of the twin's running instances."""
    names = subprocess.run(["docker", "ps", "-q", "--filter", "label=esdb.twin.instance"],
                           capture_output=True, text=True, check=True).stdout.split()
    if not names:
        return {}
    lines = subprocess.run(["docker", "inspect", "--format",
                            "{{.Id}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", *names],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    pairs = (line.split(" ", 1) for line in lines)
    return {pair[1]: pair[0] for pair in pairs if len(pair) == 2 and pair[1]}


def service_started_at(ip):
    """When systemd last started eventstore on the demo node at `ip`."""
    return subprocess.run(["docker", "exec", node_containers()[ip], "systemctl", "show", "-p", "ActiveEnterTimestamp",
                           "eventstore"], capture_output=True, text=True, check=True).stdout.strip()


def test_a_node_whose_instance_is_gone_is_replaced_and_catches_up(demo, tmp_path):
    """replace_node.yml refuses a node whose instance exists; once esdb-2's instance is terminated, it launches
    the index again on its own interface, and the newcomer joins and holds every acknowledged event."""
    assert demo[0] == 0, "the first run failed"
    settings = tmp_path / "settings.json"  # the events API, as the seed article's configuration has it
    settings.write_text(json.dumps({"eventstore_config": {"EnableAtomPubOverHttp": True}}))
    rc, output = run("ansible-playbook", "playbooks/configure.yml", "-i", "inventories/local", "-e", "@%s" % settings)
    assert rc == 0, output[-6000:]
    before = write_events(demo_nodes(), "before-esdb-2-is-gone", 100)
    replace = ("ansible-playbook", "playbooks/replace_node.yml", "-i", "inventories/local",
               "-e", "eventstore_replace_node=esdb-2", "-e", "@%s" % settings)
    rc, output = run(*replace)
    assert rc != 0 and "Refusing to replace esdb-2: its instance" in " ".join(output.split()), output[-4000:]

    ec2 = twin_ec2()
    [old] = twin_instances(ec2, "running", name="esdb-2")
    ec2.terminate_instances(InstanceIds=[old["InstanceId"]])
    deadline = time.monotonic() + 60
    while len(demo_nodes()) != 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    survivors = demo_nodes()
    assert len(survivors) == 2, "the twin did not remove the terminated instance's container"
    started = {node.ip: service_started_at(node.ip) for node in survivors}
    during = write_events(survivors, "while-esdb-2-is-gone", 100)

    started_replace = time.monotonic()
    rc, output = run(*replace)
    assert rc == 0, output[-6000:]
    print("replace_node.yml took %.1f s" % (time.monotonic() - started_replace))
    nodes = demo_nodes()
    assert len(nodes) == 3
    [new] = twin_instances(ec2, "running", name="esdb-2")
    assert new["InstanceId"] != old["InstanceId"]
    assert new["PrivateIpAddress"] == old["PrivateIpAddress"], "the newcomer must keep the node's address"
    # Same address, so the others' configuration is unchanged: none of them restarted.
    assert {node.ip: service_started_at(node.ip) for node in survivors} == started
    report = verify(nodes, dict(before, **during))
    assert not lost(report), report


def demo_nodes():
    ips = sorted(node_containers())
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    ca_file = os.path.join(data_home, "esdb.cluster", "demo-pki", "esdb", "ca.crt")
    with open(os.path.join(ROOT, ".cache", "twin", "admin_password"), encoding="utf-8") as secret:
        password = secret.read().split()[0]
    return [HttpNode("%s:2113" % ip, "https", ca_file, ("admin", password)) for ip in ips]


def write_events(nodes, prefix, count):
    writer = Writer(nodes, prefix=prefix).start()
    deadline = time.monotonic() + 120
    while writer.count < count and time.monotonic() < deadline:
        time.sleep(0.2)
    writer.stop()
    assert writer.count >= count, "only %d of %d events acknowledged (errors %s)" % (writer.count, count, writer.errors)
    return writer.acknowledged


def test_backup_teardown_and_restore_onto_a_new_cluster_bring_back_exactly_the_acknowledged_events(demo, tmp_path):
    """Backup from a Follower while the cluster runs; a restore refuses running nodes. The cluster is then torn
    down (its instances and their disks are gone) and site.yml builds a new one; a forced restore puts every new
    node at the backup: each event acknowledged before it once on every node, none written after it or to the
    new cluster."""
    assert demo[0] == 0, "the first run failed"
    atompub = tmp_path / "atompub.json"  # the events API, as the seed article's configuration has it
    atompub.write_text(json.dumps({"eventstore_config": {"EnableAtomPubOverHttp": True}}))
    rc, output = run("ansible-playbook", "playbooks/configure.yml", "-i", "inventories/local", "-e", "@%s" % atompub)
    assert rc == 0, output[-6000:]
    nodes = demo_nodes()
    assert len(nodes) == 3
    before = write_events(nodes, "before-backup", 300)

    backups = tmp_path / "backups"
    started = time.monotonic()
    rc, output = run("ansible-playbook", "playbooks/backup.yml", "-i", "inventories/local",
                     "-e", "eventstore_backup_dir=%s" % backups, "-e", "@%s" % atompub)
    assert rc == 0, output[-6000:]
    print("backup.yml took %.1f s" % (time.monotonic() - started))
    taken = sorted((backups / "esdb").iterdir())
    assert len(taken) == 1 and (taken[0] / "manifest.json").is_file(), taken
    after = write_events(nodes, "after-backup", 50)

    restore = ("ansible-playbook", "playbooks/restore.yml", "-i", "inventories/local",
               "-e", "eventstore_restore_from=%s" % taken[0], "-e", "@%s" % atompub)
    rc, output = run(*restore)
    assert rc != 0 and "Refusing to restore: EventStoreDB runs on" in output, output[-6000:]
    assert not lost(verify(nodes, after)), "a refused restore changed the data"

    rc, output = run("ansible-playbook", "playbooks/teardown.yml", "-i", "inventories/local",
                     "-e", "eventstore_teardown_confirm=esdb")
    assert rc == 0, output[-6000:]
    assert twin_instances(twin_ec2(), "running", "pending", "stopping", "stopped") == []
    rc, output = run("ansible-playbook", "site.yml", "-i", "inventories/local", "-e", "@%s" % atompub)
    assert rc == 0, output[-6000:]
    nodes = demo_nodes()
    assert len(nodes) == 3
    assert lost(verify(nodes, before)), "the new cluster cannot hold the old one's events before the restore"
    fresh = write_events(nodes, "new-cluster", 20)

    started = time.monotonic()
    rc, output = run(*restore, "-e", "eventstore_restore_force=true")
    assert rc == 0, output[-6000:]
    print("restore.yml took %.1f s" % (time.monotonic() - started))
    report = verify(nodes, before)
    assert not lost(report), report
    assert all(entry["events"] == sum(len(ids) for ids in before.values()) for entry in report.values()), report
    for written in (after, fresh):
        gone = verify(nodes, written)
        assert all(len(entry["missing"]) == sum(len(ids) for ids in written.values()) for entry in gone.values()), gone


def test_demo_down_removes_everything(demo):
    assert demo[0] == 0, "the first run failed"
    for _attempt in range(2):  # a second teardown finds nothing and still succeeds
        rc, output = run("scripts/demo.sh", "down")
        assert rc == 0, output
    for selector in ("label=esdb.twin.instance", "name=esdb-twin-apt-esdb-demo", "name=^esdb-demo-bastion$"):
        leftovers = subprocess.run(["docker", "ps", "-aq", "--filter", selector],
                                   capture_output=True, text=True, check=True)
        assert leftovers.stdout.split() == [], selector
    networks = subprocess.run(["docker", "network", "ls", "--format", "{{.Name}}"],
                              capture_output=True, text=True, check=True)
    assert not {"esdb-demo", "esdb-demo-edge"} & set(networks.stdout.split()), networks.stdout
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    assert "esdb-demo-ctl" not in namespaces.stdout, namespaces.stdout
    for generated in (".cache/twin/ec2twin.json", "inventories/local/group_vars/all/twin_subnet.yml",
                      os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"),
                                   "esdb.cluster", "demo-pki")):
        assert not os.path.exists(os.path.join(ROOT, generated)), generated
    rc, output = run("tests/twin/ec2/ec2twin", "status")
    assert rc == 0 and json.loads(output)["moto_alive"] is False, output
