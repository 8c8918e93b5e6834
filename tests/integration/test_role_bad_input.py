"""roles/eventstore against a converged 3-node cluster (Molecule scenario bad_input).

Bad input must fail in preflight with a message naming the value and the fix, and leave every
node's files untouched. Check mode reports no change, diff mode shows a config change without
making it, a real change restarts the nodes one at a time, the leader last, and an air-gapped
package file upgrades every node the same way.
"""

import json
import re
import ssl
import subprocess
import urllib.request

import pytest

from ansible_collections.esdb.cluster.tests.lib.role_files import REPO
from ansible_collections.esdb.cluster.tests.lib.role_molecule import Playbook, container_sha1, ephemeral_dir, molecule, recap

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SCENARIO = "bad_input"
NODES = {"esdb-mol-badinput-1": "10.42.16.11", "esdb-mol-badinput-2": "10.42.16.12",
         "esdb-mol-badinput-3": "10.42.16.13"}
WATCHED = ["/etc/eventstore/eventstore.conf", "/etc/eventstore/certs/node.crt",
           "/etc/systemd/system/eventstore.service.d/10-esdb-cluster.conf"]


@pytest.fixture(scope="module")
def cluster():
    molecule("destroy", SCENARIO, check=False)
    converged = molecule("converge", SCENARIO, check=False)
    try:
        assert converged.returncode == 0, converged.stdout[-4000:] + converged.stderr[-2000:]
        yield Playbook(SCENARIO, "molecule/shared/converge.yml")
    finally:
        molecule("destroy", SCENARIO, check=False)


def node_files():
    return {(node, path): container_sha1(node, path) for node in NODES for path in WATCHED}


def host_vars_file(tmp_path, host_vars):
    path = tmp_path / "extra_inventory.yml"
    path.write_text(json.dumps({"eventstore": {"hosts": host_vars}}))
    return path


BAD_VARS = {
    "unknown option": ({"eventstore_config": {"MaxAppendSizeBytes": 1}},
                       "MaxAppendSizeBytes, which is not a 22.10 option"),
    "23.10 option name": ({"eventstore_config": {"NodeIp": "10.42.16.11"}},
                          "NodeIp, a 23.10+ name; in 22.10 use ExtIp"),
    "missing admin password": ({"eventstore_admin_password": ""},
                               "A secure cluster needs eventstore_admin_password"),
    "version not in the repository": ({"eventstore_version": "22.10.9"},
                                      "eventstore_version 22.10.9 is not published"),
}


@pytest.mark.parametrize("case", sorted(BAD_VARS))
def test_bad_variable_fails_in_preflight_and_changes_nothing(cluster, case):
    extra_vars, message = BAD_VARS[case]
    before = node_files()
    result = cluster.run(extra_vars=json.dumps(extra_vars))
    assert result.returncode != 0
    assert message in result.output, result.output[-3000:]
    assert "Traceback" not in result.output
    assert node_files() == before


def test_version_failure_lists_the_published_versions(cluster):
    result = cluster.run(extra_vars=json.dumps({"eventstore_version": "22.10.9"}))
    assert "Versions available: 22.10.1, 22.10.0." in result.output, result.output[-3000:]


BAD_LAYOUTS = {
    "even cluster size": ({"esdb-mol-badinput-3": {"eventstore_read_only_replica": True}},
                          "ClusterSize 2 is even (voters: esdb-mol-badinput-1, esdb-mol-badinput-2)"),
    "duplicate node IPs": ({"esdb-mol-badinput-2": {"eventstore_node_ip": "10.42.16.11"}},
                           "Hosts esdb-mol-badinput-1 and esdb-mol-badinput-2 of group 'eventstore' share the node "
                           "address 10.42.16.11"),
}


@pytest.mark.parametrize("case", sorted(BAD_LAYOUTS))
def test_bad_cluster_layout_fails_in_preflight_and_changes_nothing(cluster, tmp_path, case):
    host_vars, message = BAD_LAYOUTS[case]
    before = node_files()
    result = cluster.run(inventories=[host_vars_file(tmp_path, host_vars)])
    assert result.returncode != 0
    assert message in result.output, result.output[-3000:]
    assert "Traceback" not in result.output
    assert node_files() == before


def test_check_mode_on_the_converged_cluster_reports_no_change(cluster):
    result = cluster.run("--check")
    assert result.returncode == 0, result.stdout[-3000:]
    counts = recap(result.stdout)
    assert set(counts) == set(NODES)
    assert all(host["changed"] == 0 and host["failed"] == 0 for host in counts.values()), counts


def test_diff_mode_shows_a_config_change_without_making_it(cluster):
    before = node_files()
    result = cluster.run("--check", "--diff", extra_vars=json.dumps({"eventstore_config": {"NodePriority": 7}}))
    assert result.returncode == 0, result.stdout[-3000:]
    assert "+NodePriority: 7" in result.stdout
    assert node_files() == before


def leader_ip():
    context = ssl.create_default_context(cafile=str(ephemeral_dir(SCENARIO) / "inventory" / ".eventstore-pki"
                                                    / "eventstore" / "ca.crt"))
    with urllib.request.urlopen(f"https://{NODES['esdb-mol-badinput-1']}:2113/gossip", context=context,
                                timeout=10) as response:
        members = json.load(response)["members"]
    return next(m["httpEndPointIp"] for m in members if m["isAlive"] and m["state"] == "Leader")


def test_config_change_restarts_nodes_one_at_a_time_leader_last(cluster):
    leader = leader_ip()
    changed_priority = json.dumps({"eventstore_config": {"NodePriority": 3}})
    result = cluster.run(extra_vars=changed_priority)
    assert result.returncode == 0, result.stdout[-4000:]
    steps = re.findall(r"(?:TASK|RUNNING HANDLER) \[esdb\.cluster\.eventstore : (EventStoreDB restarts on|Rolling - every"
                       r" member still expected is back with quorum, after) (esdb-mol-badinput-\d)\]", result.stdout)
    restarted = [host for step, host in steps if step.startswith("EventStoreDB restarts")]
    assert sorted(restarted) == sorted(NODES), steps
    # Each restart is followed by its wait until every member is back before the next node goes down.
    assert [step.startswith("EventStoreDB restarts") for step, _unused in steps] == [True, False] * 3, steps
    assert [host for _unused, host in steps[0::2]] == [host for _unused, host in steps[1::2]]
    assert NODES[restarted[-1]] == leader
    rerun = cluster.run(extra_vars=changed_priority)
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    assert sorted(recap(rerun.stdout)) == sorted(NODES), rerun.stdout[-3000:]
    assert all(host["changed"] == 0 for host in recap(rerun.stdout).values()), rerun.stdout[-3000:]


def test_config_that_cannot_start_stops_at_the_first_node_which_gets_its_previous_config(cluster):
    """A data directory the server cannot create passes --what-if and fails at start."""
    settled = json.dumps({"eventstore_config": {"NodePriority": 3}, "eventstore_wait_timeout": 120})
    assert cluster.run(extra_vars=settled).returncode == 0
    before = node_files()
    leader = leader_ip()
    cannot_start = json.dumps({"eventstore_config": {"NodePriority": 3, "Db": "/proc/esdb-db"},
                               "eventstore_wait_timeout": 30})
    result = cluster.run(extra_vars=cannot_start)
    assert result.returncode != 0, result.output[-3000:]
    restarted = restarted_hosts(result.output)
    assert len(restarted) == 1 and NODES[restarted[0]] != leader, result.output[-4000:]
    message = result.output[result.output.index("did not come back within 30 s with its new"):]
    assert message.startswith("did not come back within 30 s with its new"), message[:2000]
    assert "Its previous config was restored" in message and "/proc/esdb-db" in message, message[:3000]
    assert "Traceback" not in result.output
    assert node_files() == before
    status = cluster.run(extra_vars=settled)
    assert status.returncode == 0 and leader_ip() == leader, status.output[-3000:]
    assert all(host["changed"] == 0 for host in recap(status.output).values()), status.output[-3000:]


def restarted_hosts(output):
    return re.findall(r"RUNNING HANDLER \[esdb\.cluster\.eventstore : EventStoreDB restarts on (esdb-mol-badinput-\d)\]",
                      output)


def test_package_file_upgrades_every_node_and_restarts_them_one_at_a_time(cluster):
    """Air-gapped install: a controller-side .deb, no repository. Runs last: it upgrades the cluster."""
    built = subprocess.run([str(REPO / "tests" / "twin" / "twinctl"), "build"], capture_output=True, text=True,
                           check=True).stdout.split()
    deb = next(path for path in built if path.endswith("eventstore-oss_22.10.1_amd64.deb"))
    leader = leader_ip()
    upgrade = json.dumps({"eventstore_deb_file": deb, "eventstore_version": "22.10.1",
                          "eventstore_config": {"NodePriority": 3}})
    result = cluster.run(extra_vars=upgrade)
    assert result.returncode == 0, result.output[-4000:]
    for node in NODES:
        installed = subprocess.run(["docker", "exec", node, "dpkg-query", "--show", "--showformat",
                                    "${Version} ${db:Status-Want}", "eventstore-oss"],
                                   capture_output=True, text=True, check=True).stdout
        assert installed == "22.10.1 hold"
    restarted = restarted_hosts(result.output)
    assert sorted(restarted) == sorted(NODES) and NODES[restarted[-1]] == leader
    rerun = cluster.run(extra_vars=upgrade)
    assert rerun.returncode == 0, rerun.output[-3000:]
    assert sorted(recap(rerun.output)) == sorted(NODES), rerun.output[-3000:]
    assert all(host["changed"] == 0 for host in recap(rerun.output).values()), rerun.output[-3000:]
