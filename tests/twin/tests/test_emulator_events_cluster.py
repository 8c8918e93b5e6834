"""Events in a 3-node cluster: quorum acknowledgement, writes through followers, catch-up, truncation.

22.10 sources (oss-v22.10.0): ClusterVNodeController.cs l.128-216 (who serves, forwards or refuses writes),
l.770-779 and 825-829 (a replica forwards writes; with ES-RequireLeader it refuses them, l.831-840),
Configure.cs l.48-57 and 432-456 (NotLeader is 307 Temporary Redirect to the leader; NotReady is 503),
AtomController.cs l.872-890 (ES-RequireLeader / ES-RequireMaster), ClusterStorageWriterService.cs l.106-170
(a replica subscribed below its writer checkpoint writes truncate.chk and exits), ClusterVNode.cs l.627-637
(the truncation at the next start), ClusterVNodeController.cs l.529-530 (that exit is code 0).
"""
import time

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import wait_for
from ansible_collections.esdb.cluster.tests.lib.event_load import append, event, read_stream

IPS = ["127.0.10.1", "127.0.10.2", "127.0.10.3"]
ATOMPUB = {"EnableAtomPubOverHttp": True}


def formed(emulators, settings=None):
    cluster = emulators.cluster(IPS, settings=dict(ATOMPUB, **(settings or {}))).start()
    leader = wait_for(cluster.agreed_leader, what="one agreed leader and two followers")
    return cluster, leader, [n for n in cluster.nodes if n is not leader]


def writer_of(node):
    return node.me()["writerCheckpoint"]


def test_an_acknowledged_write_is_on_a_quorum_and_readable_everywhere(emulators):
    cluster, leader, followers = formed(emulators)
    one = event()
    assert append(leader, "q", [one]).status_code == 201
    for node in cluster.nodes:
        assert wait_for(lambda n=node: read_stream(n, "q"), what="the event on %s" % node.ip) == \
            [(0, one["eventId"])]


def test_no_acknowledgement_without_a_quorum(emulators):
    _cluster, leader, followers = formed(emulators)
    for node in followers:
        node.kill()
    before = writer_of(leader)
    started = time.monotonic()
    response = append(leader, "lonely", [event()])
    # Written on the leader alone: the outcome is unknown to the client (timeout) or refused (no longer leader).
    assert response.status_code in (500, 503), response.status_code
    if response.status_code == 500:
        assert response.reason == "Write timeout"
        assert time.monotonic() - started >= 1.5
    assert read_stream(leader, "lonely") == [], "an unacknowledged event must not be readable"
    assert writer_of(leader) >= before


def test_writes_to_a_follower_are_forwarded_or_redirected(emulators):
    _cluster, leader, followers = formed(emulators)
    follower = followers[0]
    forwarded = append(follower, "fw", [event()])
    assert forwarded.status_code == 201
    assert forwarded.headers["Location"] == "http://%s:2113/streams/fw/0" % follower.ip
    redirected = append(follower, "fw", [event()], headers={"ES-RequireLeader": "True"})
    assert (redirected.status_code, redirected.reason) == (307, "Temporary Redirect")
    assert redirected.headers["Location"] == "http://%s:2113/streams/fw" % leader.ip
    assert append(follower, "fw", [event()], headers={"ES-RequireMaster": "true"}).status_code == 307
    assert append(follower, "fw", [event()], headers={"ES-RequireLeader": "maybe"}).status_code == 400
    # Reads are served by the follower itself, unless the leader is required.
    assert len(wait_for(lambda: read_stream(follower, "fw"), what="the event on the follower")) == 1
    read = follower.request("GET", "/streams/fw/0/forward/5", headers={
        "Accept": "application/vnd.eventstore.atom+json", "ES-RequireLeader": "True"}, allow_redirects=False)
    assert read.status_code == 307


def test_a_restarted_follower_catches_up_the_events_it_missed(emulators):
    _cluster, leader, followers = formed(emulators)
    late = followers[0]
    late.stop()
    written = [event() for _unused in range(20)]
    for one in written:
        assert append(leader, "missed", [one]).status_code == 201
    late.start()
    wait_for(lambda: late.state() == "Follower", timeout=20, what="the restarted node to follow again")
    assert wait_for(lambda: read_stream(late, "missed"), what="the missed events") == \
        [(i, e["eventId"]) for i, e in enumerate(written)]


def test_an_unacknowledged_minority_write_is_truncated_after_a_leader_change(emulators):
    cluster, old, followers = formed(emulators)
    assert append(old, "t", [event()]).status_code == 201
    for node in followers:
        node.kill()
    lost = event()
    assert append(old, "t", [lost]).status_code in (500, 503)
    old_writer = writer_of(old)
    old.kill()
    for node in followers:
        node.start()
    new = wait_for(lambda: cluster.agreed_leader(followers), timeout=20, what="a leader among the two")
    kept = event()
    assert append(new, "t", [kept]).status_code == 201
    # The old leader learns it holds what the cluster never acknowledged: truncate.chk, then exit code 0.
    old.start()
    assert wait_for(lambda: not old.running(), timeout=20, what="the old leader to exit for truncation")
    assert old.process.returncode == 0
    assert "TRUNCATION IS NEEDED" in old.log()
    truncate = int.from_bytes((old.dir / "db" / "truncate.chk").read_bytes(), "little", signed=True)
    assert 0 < truncate < old_writer
    old.start()
    wait_for(lambda: old.state() == "Follower", timeout=20, what="the truncated node to follow")
    assert "Truncate checkpoint is present" in old.log()
    ids = [i for _n, i in wait_for(lambda: len(read_stream(old, "t")) == 2 and read_stream(old, "t"),
                                   what="the new leader's events on the old leader")]
    assert kept["eventId"] in ids and lost["eventId"] not in ids
    for node in cluster.nodes:
        assert [i for _n, i in read_stream(node, "t")] == ids


def test_secure_writes_through_a_follower_keep_the_caller_and_its_acl(emulators, pki):
    cluster = emulators.cluster(IPS, settings=ATOMPUB, pki=pki).start()
    leader = wait_for(cluster.agreed_leader, what="one agreed leader and two followers")
    follower = next(n for n in cluster.nodes if n is not leader)
    assert append(follower, "open", [event()]).status_code == 201
    assert append(follower, "$closed", [event()]).status_code == 401
    created = append(follower, "$closed", [event()], headers={"Authorization": "Basic YWRtaW46Y2hhbmdlaXQ="})
    assert created.status_code == 201
    assert created.headers["Location"] == "https://%s:2113/streams/%%24closed/0" % follower.ip
