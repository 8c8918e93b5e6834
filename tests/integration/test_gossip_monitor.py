"""tests/lib/gossip_monitor.py: what it counts, on crafted views and on a live emulator cluster.

The live cluster is the project's test-only node emulator (insecure, 127.0.27.1-3), never the
product. The monitor must count a leader change for a resignation, no quorum loss while one
node of three is down, and quorum loss when two are.
"""

import json
import tempfile
import threading
import time

import pytest

from ansible_collections.esdb.cluster.tests.lib import gossip_monitor
from ansible_collections.esdb.cluster.tests.lib.cs_cluster import EmulatorCluster, emulator_available

HOSTS = ["127.0.27.1", "127.0.27.2", "127.0.27.3"]


def member(ip, state, alive=True, instance=None):
    return {"instanceId": instance or "id-" + ip, "httpEndPointIp": ip, "httpEndPointPort": 2113, "state": state,
            "isAlive": alive, "isReadOnlyReplica": False, "timeStamp": "2026-01-01T00:00:00Z"}


def view(ip, *members):
    """A /gossip body as the node at ip would send it."""
    return json.dumps({"serverIp": ip, "serverPort": 2113, "members": list(members)})


def test_a_stale_leader_in_other_views_is_neither_a_leader_nor_a_voter():
    # 10.0.0.1 (the old leader) does not answer; its followers still list it as an alive Leader.
    views = [("10.0.0.1:2113", None),
             ("10.0.0.2:2113", view("10.0.0.2", member("10.0.0.1", "Leader"), member("10.0.0.2", "Unknown"))),
             ("10.0.0.3:2113", view("10.0.0.3", member("10.0.0.1", "Leader"), member("10.0.0.3", "Leader")))]
    leaders, up, in_sync, states = gossip_monitor.judge(views)
    assert leaders == {"id-10.0.0.3"}
    assert up == 2
    assert in_sync == 1
    assert states == {"10.0.0.1:2113": None, "10.0.0.2:2113": "Unknown", "10.0.0.3:2113": "Leader"}


def test_two_nodes_that_each_say_leader_are_split_brain_and_stopping_nodes_are_not_up():
    views = [("a", view("10.0.0.1", member("10.0.0.1", "Leader"))),
             ("b", view("10.0.0.2", member("10.0.0.2", "Leader"))),
             ("c", view("10.0.0.3", member("10.0.0.3", "ShuttingDown")))]
    tally = gossip_monitor.Tally(quorum=2)
    tally.add(0.0, *gossip_monitor.judge(views))
    summary = tally.summary(0.2)
    assert summary["samples_split_brain"] == 1
    assert summary["samples_without_leader"] == 1
    assert summary["min_voters_up"] == 2
    assert summary["samples_without_quorum"] == 0
    assert summary["samples_without_write_quorum"] == 0


def test_an_old_entry_of_the_node_itself_does_not_hide_its_new_state():
    old = member("10.0.0.1", "Leader", alive=False, instance="old")
    new = dict(member("10.0.0.1", "PreReplica", instance="new"), timeStamp="2026-01-01T00:00:05Z")
    assert gossip_monitor.own_entry(view("10.0.0.1", old, new))["instance_id"] == "new"


def test_leader_changes_are_counted_once_per_new_leader():
    tally = gossip_monitor.Tally(quorum=2)
    for t, leader in enumerate(["x", "x", None, "y", "y", "x"]):
        tally.add(float(t), {leader} - {None}, 3, 3 if leader else 2, {})
    summary = tally.summary(6.0)
    assert summary["leader_changes"] == 2
    assert summary["samples_without_leader"] == 1
    assert summary["longest_without_leader_s"] == 0.0
    assert summary["samples_without_write_quorum"] == 0


def test_two_voters_out_count_only_outside_a_handover():
    tally = gossip_monitor.Tally(quorum=2, voters=3)
    # (leader, voters Leader or Follower): steady, one restart, then a second node out too (counted),
    # a handover to y with two followers in PreReplica (not counted) until all three are back,
    # then two out again under the steady y (counted).
    samples = [("x", 3), ("x", 2), ("x", 1), ("x", 3), (None, 1), ("y", 1), ("y", 2), ("y", 3), ("y", 1)]
    for t, (leader, in_sync) in enumerate(samples):
        tally.add(float(t), {leader} - {None}, 3, in_sync, {})
    summary = tally.summary(9.0)
    assert summary["samples_two_voters_out_outside_handover"] == 2
    assert summary["longest_handover_s"] == 3.0
    assert [e["t"] for e in summary["timeline"] if "two_voters_out" in e] == [2.0, 8.0]


def test_a_handover_ends_only_when_every_voter_is_back():
    tally = gossip_monitor.Tally(quorum=2, voters=3)
    for t, (leader, in_sync) in enumerate([("x", 3), ("y", 1), ("y", 2), ("y", 1), ("y", 3), ("y", 1)]):
        tally.add(float(t), {leader} - {None}, 3, in_sync, {})
    assert tally.summary(6.0)["samples_two_voters_out_outside_handover"] == 1


def test_without_the_voter_count_two_voters_out_is_not_judged():
    tally = gossip_monitor.Tally(quorum=2)
    tally.add(0.0, {"x"}, 3, 1, {})
    assert tally.summary(0.2)["samples_two_voters_out_outside_handover"] is None


class Rounds(threading.Event):
    """The monitor's stop event, counting the rounds it starts (it asks is_set() once before each)."""

    def __init__(self):
        super().__init__()
        self.started = 0

    def is_set(self):
        self.started += 1
        return super().is_set()


class Watch:
    def __init__(self, cluster):
        self.stop, self.result = Rounds(), {}
        urls = ["http://%s/gossip" % n for n in cluster.nodes()]
        self.thread = threading.Thread(target=lambda: self.result.update(
            gossip_monitor.monitor(urls, 3, 0.1, 0, None, 0.5, self.stop)))
        self.thread.start()

    def sample(self, rounds=1):
        """Returns once the monitor has taken `rounds` whole samples that began after this call, however
        slowly a loaded machine lets it sample."""
        start = self.stop.started
        wait(lambda: self.stop.started >= start + rounds + 1, "%d more monitor samples" % rounds)

    def finish(self):
        self.sample()
        self.stop.set()
        self.thread.join()
        return self.result


def wait(probe, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def body(node):
    return gossip_monitor.fetch("http://%s/gossip" % node, None, 2.0)


def settled(cluster):
    leaders, _up, _in_sync, states = gossip_monitor.judge([(n, body(n)) for n in cluster.nodes()])
    return next(iter(leaders)) if len(leaders) == 1 and sorted(map(str, states.values())) == ["Follower", "Follower", "Leader"] \
        else None


def own_state(host):
    answer = body("%s:2113" % host)
    return gossip_monitor.own_entry(answer)["state"] if answer else None


@pytest.fixture(scope="module")
def cluster():
    if not emulator_available():
        pytest.skip("the node emulator is not in this checkout")
    with tempfile.TemporaryDirectory() as workdir:
        nodes = EmulatorCluster(workdir, HOSTS)
        nodes.start_all()
        try:
            wait(lambda: settled(nodes), "a settled cluster")
            yield nodes
        finally:
            nodes.stop_all()


def test_follower_restart_and_resignation_give_one_leader_change_and_keep_quorum(cluster):
    leader = wait(lambda: settled(cluster), "a settled cluster")
    leader_host = next(h for h in HOSTS if own_state(h) == "Leader")
    follower = next(h for h in HOSTS if h != leader_host)
    watch = Watch(cluster)
    cluster.stop(follower)
    cluster.start(follower)
    wait(lambda: settled(cluster), "the follower back")
    assert cluster.post(leader_host, "/admin/node/resign") == 200
    wait(lambda: settled(cluster) not in (None, leader), "another leader")
    summary = watch.finish()
    assert summary["leader_changes"] == 1, summary
    assert summary["samples_without_quorum"] == 0, summary
    assert summary["min_voters_up"] == 2, summary


def test_two_nodes_down_is_counted_as_no_quorum(cluster):
    wait(lambda: settled(cluster), "a settled cluster")
    watch = Watch(cluster)
    cluster.stop(HOSTS[1])
    cluster.stop(HOSTS[2])
    watch.sample(5)
    summary = watch.finish()
    cluster.start(HOSTS[1])
    cluster.start(HOSTS[2])
    wait(lambda: settled(cluster), "the cluster back")
    assert summary["samples_without_quorum"] >= 5, summary
    assert summary["samples_without_write_quorum"] >= summary["samples_without_quorum"], summary
    assert summary["min_voters_up"] == 1, summary
