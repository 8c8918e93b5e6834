"""tests/lib/gossip_monitor.py --write-events: writes under an operation, read back from every node.

The cluster is the project's test-only EventStoreDB 22.10 node emulator (insecure, AtomPub on, 127.0.28.1-3),
never the product. A follower restarts while the monitor writes; every acknowledged event must then be on every
node once. A node that cannot be read back counts as lost, so a green summary cannot hide a missing node.
"""

import json
import subprocess
import sys
import time

import pytest

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import Cluster, wait_for
from ansible_collections.esdb.cluster.tests.lib.role_files import REPO

pytestmark = pytest.mark.slow

HOSTS = ["127.0.28.1", "127.0.28.2", "127.0.28.3"]
MONITOR = REPO / "tests" / "lib" / "gossip_monitor.py"


@pytest.fixture(name="cluster", scope="module")
def cluster_fixture(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("writes"), HOSTS, settings={"EnableAtomPubOverHttp": True}).start()
    try:
        wait_for(cluster.agreed_leader, timeout=60, what="one agreed leader and two followers")
        yield cluster
    finally:
        cluster.stop()


def start_monitor(tmp_path, prefix, verify_nodes=None):
    stop_file = tmp_path / (prefix + ".stop")
    command = [sys.executable, str(MONITOR), *("%s:2113" % h for h in HOSTS), "--scheme", "http",
               "--stop-file", str(stop_file), "--write-events", prefix, "--write-pause", "0.05", "--settle", "20"]
    if verify_nodes:
        command += ["--verify-nodes", *verify_nodes]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={"PYTHONPATH": str(REPO / ".collections")})
    return process, stop_file


def finish(process, stop_file):
    stop_file.write_text("stop\n")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out)


def test_every_event_acknowledged_during_a_follower_restart_is_on_every_node_once(cluster, tmp_path):
    process, stop_file = start_monitor(tmp_path, "restart")
    time.sleep(2)
    follower = next(node for node in cluster.nodes if node is not cluster.agreed_leader())
    follower.stop()
    follower.start()
    wait_for(lambda: follower.state() == "Follower", timeout=60, what="the restarted follower back as Follower")
    time.sleep(1)
    writes = finish(process, stop_file)["writes"]
    assert writes["acknowledged"] > 20, writes
    assert writes["lost"] is False, writes
    assert sorted(writes["nodes"]) == HOSTS
    for node in writes["nodes"].values():
        assert node["missing"] == 0 and node["duplicated"] == 0, writes
        assert node["events"] == writes["acknowledged"], writes


def test_a_node_that_cannot_be_read_back_counts_as_lost(cluster, tmp_path):
    process, stop_file = start_monitor(tmp_path, "unread", verify_nodes=["%s:2113" % h for h in HOSTS] + ["127.0.28.9:2113"])
    time.sleep(2)
    writes = finish(process, stop_file)["writes"]
    assert writes["acknowledged"] > 0, writes
    assert writes["lost"] is True, writes
    assert "error" in writes["nodes"]["127.0.28.9"], writes
    assert all(writes["nodes"][h]["missing"] == 0 for h in HOSTS), writes
