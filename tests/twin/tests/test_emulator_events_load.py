"""tests/lib/event_load.py against emulators: the writer keeps writing through a leader change, and the verifier
finds every acknowledged event exactly once on every node (and says so when one is missing or doubled)."""
import time

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import wait_for
from ansible_collections.esdb.cluster.tests.lib.event_load import Writer, append, event, lost, verify

IPS = ["127.0.10.1", "127.0.10.2", "127.0.10.3"]


def test_writer_and_verifier_through_a_leader_resignation(emulators):
    cluster = emulators.cluster(IPS, settings={"EnableAtomPubOverHttp": True}).start()
    leader = wait_for(cluster.agreed_leader, what="one agreed leader")
    writer = Writer(cluster.nodes, streams=3).start()
    time.sleep(1.5)
    assert leader.request("POST", "/admin/node/resign").status_code == 200
    time.sleep(2.5)
    writer.stop()
    assert writer.count > 10, (writer.count, writer.errors)
    wait_for(lambda: cluster.agreed_leader() not in (None, leader), what="a new leader")

    def complete():
        report = verify(cluster.nodes, writer.acknowledged)
        return not lost(report) and report

    report = wait_for(complete, timeout=10, what="every acknowledged event on every node")
    assert all(entry["events"] == writer.count for entry in report.values()), report
    assert writer.longest_outage > 0


def test_verifier_reports_missing_and_duplicated_events(emulators):
    node = emulators.node("127.0.10.4", {"Insecure": True, "ClusterSize": 1, "EnableAtomPubOverHttp": True}).start()
    wait_for(lambda: node.state() == "Leader", what="a leader")
    first, second = event(), event()
    assert append(node, "v-0", [first]).status_code == 201
    assert append(node, "v-0", [second]).status_code == 201
    # A client that states the wrong expected version writes the same event id a second time.
    assert append(node, "v-0", [first], expected_version=1).status_code == 201
    never = event()
    report = verify([node], {"v-0": [first["eventId"], second["eventId"], never["eventId"]]})
    assert report[node.ip] == {"missing": [never["eventId"]], "duplicated": [first["eventId"]], "events": 3}
    assert lost(report)
    assert not lost(verify([node], {"v-0": [second["eventId"]], "v-empty": []}))
