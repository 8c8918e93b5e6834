"""Gossip, elections and replication of emulator clusters on 127.0.10.x (insecure mode, fast timings)."""
import re
import signal
import socket
import time

import requests

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import FAST, ZERO_ID, wait_for

IPS = ["127.0.10.1", "127.0.10.2", "127.0.10.3"]


def hold(probe, seconds, what):
    """Assert that `probe` stays true for `seconds` (for things that must never happen)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert probe(), what
        time.sleep(0.1)


def started(emulators, ips=tuple(IPS), **kwargs):
    cluster = emulators.cluster(ips, **kwargs).start()
    leader = wait_for(cluster.agreed_leader, what="one agreed leader and two followers")
    return cluster, leader


def test_three_nodes_elect_within_three_gossip_intervals(emulators):
    interval_ms = 500
    cluster = emulators.cluster(IPS, settings={"GossipIntervalMs": interval_ms})
    for node in cluster.nodes[:2]:
        node.start()
    cluster.nodes[2].start()
    wait_for(cluster.nodes[2].is_up, interval=0.02, what="the third node to start")
    third_started = time.monotonic()
    wait_for(lambda: any(cluster.leaders([n])[0] for n in cluster.nodes), timeout=3 * interval_ms / 1000.0,
             interval=0.02, what="a leader within 3 gossip intervals of the third node starting")
    elapsed = time.monotonic() - third_started
    leader = wait_for(cluster.agreed_leader, what="agreement")
    assert elapsed <= 3 * interval_ms / 1000.0
    wait_for(lambda: [(m["epochNumber"], m["isAlive"]) for m in leader.members()] == [(0, True)] * 3,
             what="the leader's view to show epoch 0 everywhere")


def test_followers_track_the_leaders_writer_checkpoint(emulators):
    cluster, leader = started(emulators)
    first = leader.me()["writerCheckpoint"]
    follower = next(n for n in cluster.nodes if n is not leader)
    wait_for(lambda: follower.me()["writerCheckpoint"] > first, what="the follower's writer checkpoint to advance")
    assert follower.me()["epochId"] == leader.me()["epochId"]


def test_failover_elects_another_leader_with_a_new_epoch(emulators):
    cluster, leader = started(emulators)
    old = leader.me()
    leader.kill()
    rest = [n for n in cluster.nodes if n is not leader]
    new_leader = wait_for(lambda: cluster.agreed_leader(rest), what="a new leader among the two survivors")
    assert new_leader.me()["instanceId"] != old["instanceId"]
    assert new_leader.me()["epochNumber"] == old["epochNumber"] + 1
    dead = [m for m in new_leader.members() if m["instanceId"] == old["instanceId"]]
    assert dead and not dead[0]["isAlive"]


def test_frozen_leader_is_replaced_and_rejoins_as_follower(emulators):
    # SIGSTOP keeps the leader's sockets open: only missed heartbeats and gossip timeouts reveal it.
    cluster, leader = started(emulators)
    old_epoch = leader.me()["epochNumber"]
    leader.process.send_signal(signal.SIGSTOP)
    try:
        rest = [n for n in cluster.nodes if n is not leader]
        new_leader = wait_for(lambda: cluster.agreed_leader(rest), what="a new leader while the old one is frozen")
        assert new_leader.me()["epochNumber"] == old_epoch + 1
    finally:
        leader.process.send_signal(signal.SIGCONT)
    # Back, the old leader sees a second Leader in gossip, holds an election and follows the newer epoch.
    wait_for(lambda: cluster.agreed_leader() is new_leader, what="one leader again after the old one resumes")
    assert leader.me()["epochNumber"] == old_epoch + 1


def test_no_leader_with_two_of_three_down_and_the_leader_steps_down(emulators):
    cluster, leader = started(emulators)
    for node in cluster.nodes:
        if node is not leader:
            node.kill()
    wait_for(lambda: leader.state() == "Unknown", what="the leader without quorum to step down")
    assert "=== NO QUORUM EMERGED WITHIN TIMEOUT... RETIRING..." in leader.log()
    hold(lambda: leader.state() not in ("Leader", "PreLeader"), 2.0, "a lone node must not lead a 3-node cluster")


def test_placeholders_for_seeds_before_first_contact(emulators):
    node = emulators.cluster(IPS).nodes[0].start()
    wait_for(node.is_up, what="node up")
    seeds = [m for m in node.members() if m["httpEndPointIp"] != node.ip]
    assert sorted(m["httpEndPointIp"] for m in seeds) == IPS[1:]
    for member in seeds:
        assert member["instanceId"] == ZERO_ID and member["epochId"] == ZERO_ID
        assert member["state"] == "Manager"
        assert [member[k] for k in ("writerCheckpoint", "chaserCheckpoint", "lastCommitPosition", "epochNumber")] \
            == [-1, -1, -1, -1]
    wait_for(lambda: not any(m["isAlive"] for m in node.members() if m["httpEndPointIp"] != node.ip),
             what="unreachable seeds marked dead")
    assert node.state() not in ("Leader", "PreLeader")


def test_silent_peer_is_dead_after_the_gossip_timeout(emulators):
    # A peer that accepts connections but never answers: only the gossip timeout can declare it dead.
    with socket.create_server(("127.0.10.9", 2113)):
        up = time.monotonic()
        node = single(emulators, "127.0.10.4", GossipSeed=["127.0.10.9:2113"], GossipTimeoutMs=1500)
        wait_for(lambda: [m["isAlive"] for m in node.members() if m["httpEndPointIp"] == "127.0.10.9"] == [False],
                 what="the silent peer marked dead")
        assert time.monotonic() - up >= 1.4
        assert 'Looks like node ["127.0.10.9:2113"] is DEAD (Gossip send failed).' in node.log()


def test_resign_hands_leadership_to_another_node(emulators):
    cluster, leader = started(emulators)
    old_id = leader.me()["instanceId"]
    assert leader.request("POST", "/admin/node/resign").status_code == 200

    def another_leader():
        current = cluster.agreed_leader()
        return current if current and current is not leader else None

    new_leader = wait_for(another_leader, what="another node elected after resignation")
    assert new_leader.me()["instanceId"] != old_id
    wait_for(lambda: leader.state() == "Follower", what="the old leader to follow")
    assert "IS RESIGNING LEADER..." in leader.log()


def test_blocked_replication_port_keeps_followers_out(emulators):
    # Every node advertises an internal TCP port nobody listens on, as if 1112 were blocked between nodes.
    cluster = emulators.cluster(IPS, settings={"IntTcpPortAdvertiseAs": 1199}).start()
    leader = wait_for(lambda: next((n for n in cluster.nodes if n.state() == "Leader"), None), what="a leader")
    others = [n for n in cluster.nodes if n is not leader]
    wait_for(lambda: all(n.state() == "PreReplica" for n in others), what="the others to try to replicate")
    hold(lambda: not {n.state() for n in others} & {"CatchingUp", "Follower", "Clone"}, 2.0,
         "followers must not get past PreReplica without the leader's internal TCP endpoint")
    assert "Connection to leader [\"%s:1199\"] failed" % leader.ip in others[0].log()


def test_read_only_replica_never_votes_or_leads(emulators):
    ips = IPS + ["127.0.10.4"]
    cluster = emulators.cluster(ips, extra={3: {"ReadOnlyReplica": True, "GossipSeed": ["%s:2113" % i for i in IPS]}})
    cluster.start()
    replica = cluster.nodes[3]
    voters = cluster.nodes[:3]
    leader = wait_for(lambda: cluster.agreed_leader(voters), what="a leader among voters")
    wait_for(lambda: replica.state() == "ReadOnlyReplica", what="the replica to replicate")
    assert replica.me()["isReadOnlyReplica"] is True
    assert "ReadOnlyLeaderless" in replica.log() and "READ ONLY PRE-REPLICA STATE" in replica.log()
    leader.kill()
    survivors = [n for n in voters if n is not leader]
    wait_for(lambda: cluster.agreed_leader(survivors), what="a new leader among voters")
    wait_for(lambda: replica.state() == "ReadOnlyReplica", what="the replica to follow the new leader")


def test_surplus_node_is_dropped_and_shuts_down_unless_allowed(emulators):
    """22.10 LeaderReplicationService.cs l.667-683 drops surplus clones; the dropped node shuts down
    (ClusterVNodeController.cs l.1191-1201)."""
    ips = IPS + ["127.0.10.4"]
    seeds = {i: {"GossipSeed": ["%s:2113" % o for o in ips if o != ip]} for i, ip in enumerate(ips)}
    cluster = emulators.cluster(ips, extra=seeds).start()
    gone = wait_for(lambda: [n for n in cluster.nodes if not n.running()] or None, timeout=30,
                    what="the surplus node to shut down")
    assert len(gone) == 1
    assert "THERE IS A SURPLUS OF NODES IN THE CLUSTER, SHUTTING DOWN." in gone[0].log()
    survivors = [n for n in cluster.nodes if n is not gone[0]]
    wait_for(lambda: sorted(n.state() for n in survivors) == ["Follower", "Follower", "Leader"],
             what="a leader and two followers")
    hold(lambda: sum(n.running() for n in cluster.nodes) == 3, 1.5, "the dropped node stays down")


def test_surplus_node_becomes_clone_when_allowed(emulators):
    ips = IPS + ["127.0.10.4"]
    seeds = {i: {"GossipSeed": ["%s:2113" % o for o in ips if o != ip]} for i, ip in enumerate(ips)}
    cluster = emulators.cluster(ips, settings={"UnsafeAllowSurplusNodes": True}, extra=seeds).start()
    wait_for(lambda: sorted(n.state() for n in cluster.nodes) == ["Clone", "Follower", "Follower", "Leader"],
             what="leader, two followers and a clone")


def _fake_peer_gossip(node, state, age_seconds=0.0):
    """What a (non-existent) node at 127.0.10.9 would POST to /gossip about itself, in the emulator's
    node-to-node member format (the 20 client keys plus its endpoints and advertise-to-client settings)."""
    member = dict(node.me(), instanceId="11111111-2222-3333-4444-555555555555", state=state, isAlive=True,
                  httpHost="127.0.10.9", httpPort=2113, internalTcpHost="127.0.10.9", externalTcpHost="127.0.10.9",
                  epochNumber=50, advertiseHostToClientAs=None, advertiseHttpPortToClientAs=0,
                  advertiseTcpPortToClientAs=0)
    stamp = time.time() - age_seconds
    member["timeStamp"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + ".5Z"
    body = {"server": {"host": "127.0.10.9", "port": 2113}, "members": [member]}
    return node.request("POST", "/gossip", json=body)


def single(emulators, ip="127.0.10.5", **settings):
    conf = dict(FAST, Insecure=True, ClusterSize=1, DiscoverViaDns=False, LogLevel="Debug", **settings)
    node = emulators.node(ip, conf).start()
    wait_for(lambda: node.state() == "Leader", what="a single node to lead")
    return node


def test_leader_seeing_a_second_leader_starts_elections(emulators):
    node = single(emulators)
    assert _fake_peer_gossip(node, "Leader").status_code == 200
    wait_for(lambda: "There are MULTIPLE LEADERS according to gossip, need to start elections" in node.log(),
             what="the multiple-leaders log line")
    wait_for(lambda: "SHIFT TO LEADER ELECTION" in node.log().split("There are MULTIPLE LEADERS", 1)[1],
             what="an election after the multiple-leaders line")
    wait_for(lambda: node.state() == "Leader", what="the node to keep leading once the ghost is dead")
    own_id = node.me()["instanceId"]
    wait_for(lambda: [m["instanceId"] for m in node.members() if m["isAlive"] and m["state"] == "Leader"] == [own_id],
             what="its gossip to name only itself as an alive Leader (the ghost no longer leads)")


def test_clock_skew_is_logged(emulators):
    node = single(emulators, "127.0.10.6", GossipAllowedDifferenceMs=1000)
    assert _fake_peer_gossip(node, "Follower", age_seconds=7200).status_code == 200
    wait_for(lambda: "Time difference between us and [\"127.0.10.9:2113\"] is too great!" in node.log(),
             what="the clock-skew error")


def test_dns_discovery_default_ignores_gossip_seeds(emulators):
    cluster = emulators.cluster(IPS, settings={"DiscoverViaDns": True}).start()
    node = cluster.nodes[0]
    wait_for(lambda: "Error while retrieving cluster members through DNS." in node.log(), what="the DNS error")
    hold(lambda: [m["httpEndPointIp"] for m in node.members()] == [node.ip]
         and not any(cluster.leaders()), 1.5, "DNS discovery of fake.dns finds nobody and elects nobody")


def test_state_survives_restart_and_epoch_advances(emulators):
    node = single(emulators, "127.0.10.7")
    wait_for(lambda: node.me()["writerCheckpoint"] > 200, what="simulated writes")
    before = node.me()
    assert node.stop() == 0
    assert "IS SHUT DOWN." in node.log()
    assert (node.dir / "db" / "writer.chk").stat().st_size == 8
    node.start()
    wait_for(lambda: node.state() == "Leader", what="the restarted node to lead again")
    after = node.me()
    assert after["epochNumber"] == before["epochNumber"] + 1
    assert after["epochPosition"] >= before["writerCheckpoint"]
    assert after["instanceId"] != before["instanceId"]


def test_mem_db_keeps_nothing_on_disk(emulators):
    node = single(emulators, "127.0.10.6", MemDb=True)
    wait_for(lambda: node.me()["writerCheckpoint"] > 0, what="simulated writes")
    assert node.stop() == 0
    assert not (node.dir / "db").exists()


def test_admin_shutdown_reports_stopping_then_stops(emulators):
    node = single(emulators, "127.0.10.8")
    assert node.request("POST", "/admin/shutdown").status_code == 200
    assert node.request("GET", "/health/live").status_code == 503
    node.process.wait(10)
    assert node.process.returncode == 0
    try:
        node.request("GET", "/health/live", timeout=1)
        raise AssertionError("the node still answers after /admin/shutdown")
    except requests.ConnectionError:
        pass


def test_restarted_follower_gets_its_slot_back_at_once(emulators):
    """The leader sees a dead replica's TCP close at once, so a follower restarted within one heartbeat
    interval (5 s, as the role configures) is not taken for a surplus node and shut down."""
    cluster, leader = started(emulators, settings={"IntTcpHeartbeatInterval": 5000, "IntTcpHeartbeatTimeout": 1000})
    follower = [n for n in cluster.nodes if n is not leader][0]
    follower.stop()
    follower.start()
    wait_for(lambda: follower.running() and follower.is_up() and follower.state() == "Follower", timeout=20,
             what="the restarted follower to follow again")
    assert "SURPLUS OF NODES" not in follower.log()


def test_each_view_has_one_proposer_when_nodes_start_together(emulators):
    """22.10 ElectionsService.cs l.345-351 (AmILeaderOf): one node prepares a view. Four nodes that start at
    once, with a quorum of two, could otherwise elect two leaders in the same view."""
    ips = IPS + ["127.0.10.4"]
    seeds = {i: {"GossipSeed": ["%s:2113" % o for o in ips if o != ip]} for i, ip in enumerate(ips)}
    cluster = emulators.cluster(ips, settings={"UnsafeAllowSurplusNodes": True}, extra=seeds).start()
    wait_for(lambda: sorted(n.state() for n in cluster.nodes) == ["Clone", "Follower", "Follower", "Leader"],
             what="leader, two followers and a clone")
    proposers, elected = {}, {}
    for node in cluster.nodes:
        for view, _candidate in re.findall(r"\(V=(\d+)\) PROPOSING (\S+)", node.log()):
            proposers.setdefault(view, set()).add(node.ip)
        for view, leader in re.findall(r"\(V=(\d+)\) DONE\. ELECTED LEADER = \"(\S+)", node.log()):
            elected.setdefault(view, set()).add(leader)
    assert proposers and all(len(nodes) == 1 for nodes in proposers.values()), proposers
    assert all(len(leaders) == 1 for leaders in elected.values()), elected
