"""Start-up and catch-up take time, as on 22.10: the database opens before anything listens on HttpPort, and a
restarted replica stays in PreReplica/CatchingUp until it has received the data it lacks.

22.10 sources: ClusterVNode.cs l.639 (Db.Open in the node's constructor) and Program.cs l.169-207 (the host,
hence Kestrel, starts after the node is built); ClusterVNodeHostedService.cs l.222-223; GossipServiceBase.cs
l.82-86, 182-193 (no client gossip before the gossip service has a cluster view); the replica states in
ClusterVNodeController.cs (PreReplica -> CatchingUp -> Follower once the leader says it caught up).
The twin-only knobs ESDB_TWIN_DB_OPEN_MS and ESDB_TWIN_CATCHUP_BYTES_PER_S are not EventStoreDB options.
"""
import socket
import time

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import REALISTIC_TWIN, wait_for

IPS = ["127.0.10.1", "127.0.10.2", "127.0.10.3"]


def refused(ip, port=2113):
    try:
        socket.create_connection((ip, port), timeout=0.5).close()
    except ConnectionRefusedError:
        return True
    return False


def formed(emulators):
    cluster = emulators.cluster(IPS).start()
    leader = wait_for(cluster.agreed_leader, what="one agreed leader and two followers")
    return cluster, leader, next(n for n in cluster.nodes if n is not leader)


def states_until_follower(node, leader, timeout=30.0):
    """Seconds from the node's first /gossip answer until it is Follower, and the states it showed meanwhile."""
    first = wait_for(lambda: node.is_up() and time.monotonic(), timeout=15, what="the node to answer")
    seen = []
    deadline = first + timeout
    while time.monotonic() < deadline:
        me = node.me()
        seen.append((me["state"], me["writerCheckpoint"], leader.me()["writerCheckpoint"]))
        if me["state"] == "Follower":
            return time.monotonic() - first, seen
        time.sleep(0.1)
    raise AssertionError("no Follower within %ss: %r" % (timeout, seen[-5:]))


def test_nothing_listens_while_the_database_opens(emulators):
    node = emulators.node("127.0.10.4", {"Insecure": True, "ClusterSize": 1})
    node.env = REALISTIC_TWIN
    node.start()
    started = time.monotonic()
    time.sleep(0.8)
    assert refused(node.ip), "port 2113 answered while the database was still opening"
    wait_for(node.is_up, timeout=10, what="the node to listen")
    assert time.monotonic() - started >= 1.5
    assert node.gossip()["members"][0]["state"] in ("Unknown", "PreLeader", "Leader")
    log = node.log()
    assert log.index("SYSTEM INIT") < log.index("SYSTEM START")


def test_a_restarted_follower_catches_up_for_seconds_by_default(emulators):
    cluster, leader, follower = formed(emulators)
    follower.stop()
    time.sleep(3)
    follower.env = REALISTIC_TWIN
    follower.start()
    elapsed, seen = states_until_follower(follower, leader)
    states = {state for state, _own, _lead in seen}
    assert "CatchingUp" in states, seen
    assert elapsed >= 2.0, (elapsed, seen)
    catching = [own for state, own, _lead in seen if state == "CatchingUp"]
    assert catching == sorted(catching) and catching[-1] > catching[0], "no visible progress while catching up"
    assert len(cluster.nodes) == 3


def test_catch_up_time_is_proportional_to_the_data_lacked(emulators):
    _cluster, leader, follower = formed(emulators)
    follower.stop()
    before = leader.me()["writerCheckpoint"]
    time.sleep(4)
    follower.env = {"ESDB_TWIN_CATCHUP_BYTES_PER_S": "1000"}
    follower.start()
    elapsed, seen = states_until_follower(follower, leader)
    lacked = next(lead for state, _own, lead in seen if state == "CatchingUp") - before
    expected = lacked / 1000.0
    assert lacked > 800, lacked
    # Heartbeats (200 ms here) and polling add a little; the rate sets the rest.
    assert expected * 0.7 <= elapsed <= expected + 2.0, (elapsed, expected, lacked)


def test_fresh_clusters_still_form_quickly_with_the_default_timings(emulators):
    cluster = emulators.cluster(IPS)
    for node in cluster.nodes:
        node.env = REALISTIC_TWIN
    started = time.monotonic()
    cluster.start()
    wait_for(cluster.agreed_leader, timeout=20, what="one agreed leader and two followers")
    # Two seconds to open the databases, then an election and a catch-up of a few hundred bytes.
    assert time.monotonic() - started < 8.0
