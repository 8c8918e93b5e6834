"""Events over 22.10's AtomPub HTTP API on one node: append, read, expected version, dedupe, durability, auth.

22.10 sources (oss-v22.10.0): ClusterVNodeOptions.cs l.689 (EnableAtomPubOverHttp, default false), ClusterVNode.cs
l.1093 (AtomPub routes only then), AtomController.cs l.113-137 (routes), Configure.cs l.363-398 (201 + Location,
400 'Wrong expected EventNumber' + ES-CurrentVersion), l.166-235 (404 for a missing stream), Convert.cs l.22-110
(feeds, newest entry first), SystemSettings.cs l.10-12 and LegacyStreamPermissionAssertion.cs (default ACLs).
"""
import json
import uuid

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import wait_for
from ansible_collections.esdb.cluster.tests.lib.event_load import ATOM_JSON, append, event, read_stream

IP = "127.0.10.6"
ATOMPUB = {"Insecure": True, "ClusterSize": 1, "EnableAtomPubOverHttp": True}


def single(emulators, settings=None, ca_file=None):
    node = emulators.node(IP, dict(ATOMPUB, **(settings or {})), ca_file).start()
    wait_for(lambda: node.state() == "Leader", what="a leader")
    return node


def test_append_then_read_forward_and_backward(emulators):
    node = single(emulators)
    events = [event("created", {"n": i}) for i in range(3)]
    response = append(node, "orders-1", events, expected_version=-1)
    assert response.status_code == 201, response.text
    assert response.reason == "Created"
    assert response.headers["Location"] == "http://%s:2113/streams/orders-1/0" % IP
    forward = node.request("GET", "/streams/orders-1/0/forward/2?embed=body", headers={"Accept": ATOM_JSON})
    assert forward.status_code == 200
    assert forward.headers["Content-Type"].startswith(ATOM_JSON)
    feed = forward.json()
    assert feed["streamId"] == "orders-1" and feed["title"] == "Event stream 'orders-1'"
    # Newest first, whatever the direction.
    assert [e["eventNumber"] for e in feed["entries"]] == [1, 0]
    assert [e["eventId"] for e in feed["entries"]] == [events[1]["eventId"], events[0]["eventId"]]
    assert json.loads(feed["entries"][1]["data"]) == {"n": 0}
    backward = node.request("GET", "/streams/orders-1/head/backward/2", headers={"Accept": ATOM_JSON}).json()
    assert [e["title"] for e in backward["entries"]] == ["2@orders-1", "1@orders-1"]
    assert "eventId" not in backward["entries"][0], "without ?embed=body entries carry no event body"
    assert read_stream(node, "orders-1") == [(i, e["eventId"]) for i, e in enumerate(events)]


def test_a_missing_stream_is_404_and_atompub_is_off_by_default(emulators):
    node = single(emulators)
    assert node.request("GET", "/streams/nothing-here/0/forward/5", headers={"Accept": ATOM_JSON}).status_code == 404
    plain = emulators.node("127.0.10.7", {"Insecure": True, "ClusterSize": 1}).start()
    wait_for(lambda: plain.state() == "Leader", what="a leader")
    assert append(plain, "s", [event()]).status_code == 404
    assert plain.request("GET", "/info").json()["features"]["atomPub"] is False


def test_wrong_expected_version_and_idempotent_retries(emulators):
    node = single(emulators)
    first = event()
    assert append(node, "acct", [first], expected_version=-1).status_code == 201
    # The same event id again is the same write: 201 with the original number, stored once.
    again = append(node, "acct", [first], expected_version=-1)
    assert again.status_code == 201 and again.headers["Location"].endswith("/streams/acct/0")
    assert append(node, "acct", [first]).status_code == 201
    conflict = append(node, "acct", [event()], expected_version=-1)
    assert (conflict.status_code, conflict.reason) == (400, "Wrong expected EventNumber")
    assert conflict.headers["ES-CurrentVersion"] == "0"
    assert append(node, "acct", [event()], expected_version=5).headers["ES-CurrentVersion"] == "0"
    assert append(node, "fresh", [event()], expected_version=-4).status_code == 400, "StreamExists on no stream"
    assert append(node, "acct", [event()], expected_version=0).status_code == 201
    assert append(node, "acct", [event()], expected_version="x").status_code == 400
    assert [n for n, _id in read_stream(node, "acct")] == [0, 1]
    assert [i for _n, i in read_stream(node, "acct")].count(first["eventId"]) == 1


def test_events_survive_a_restart_and_the_db_is_laid_out_as_22_10(emulators):
    node = single(emulators)
    written = [event() for _unused in range(5)]
    for one in written:
        assert append(node, "durable", [one]).status_code == 201
    before = read_stream(node, "durable")
    assert node.stop() == 0
    db = node.dir / "db"
    names = {p.name for p in db.iterdir()}
    assert {"chunk-000000.000000", "writer.chk", "chaser.chk", "epoch.chk", "truncate.chk", "index"} <= names
    writer = int.from_bytes((db / "writer.chk").read_bytes(), "little", signed=True)
    assert writer == (db / "chunk-000000.000000").stat().st_size
    assert int.from_bytes((db / "truncate.chk").read_bytes(), "little", signed=True) == -1
    node.start()
    wait_for(lambda: node.state() == "Leader", what="the leader back")
    assert read_stream(node, "durable") == before == [(i, e["eventId"]) for i, e in enumerate(written)]


def test_secure_mode_follows_the_default_acls(emulators, pki):
    crt, key = pki.nodes["127.0.10.6"]
    node = single(emulators, {"Insecure": False, "CertificateFile": str(crt), "CertificatePrivateKeyFile": str(key),
                              "TrustedRootCertificatesPath": str(pki.ca.directory)}, pki.ca_file)
    # User streams are public by default in 22.10 ($all), anonymous included; system streams need $admins.
    assert append(node, "public", [event()]).status_code == 201
    assert append(node, "public", [event()], headers={"Authorization": "Basic " + _basic("admin", "wrong")}
                  ).status_code == 401
    assert append(node, "$secret", [event()]).status_code == 401
    assert append(node, "$secret", [event()], headers={"Authorization": "Basic " + _basic("ops", "changeit")}
                  ).status_code == 401
    assert append(node, "$secret", [event()], headers={"Authorization": "Basic " + _basic("admin", "changeit")}
                  ).status_code == 201
    assert len(read_stream(node, "public")) == 1


def _basic(user, password):
    import base64  # pylint: disable=import-outside-toplevel
    return base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def test_bad_bodies_are_400(emulators):
    node = single(emulators)
    bad = node.request("POST", "/streams/s", data="not json", headers={"Content-Type": "application/vnd.eventstore.events+json"})
    assert bad.status_code == 400
    no_id = node.request("POST", "/streams/s", data=json.dumps([{"eventType": "t", "data": {}}]),
                         headers={"Content-Type": "application/vnd.eventstore.events+json"})
    assert no_id.status_code == 400
    single_event = node.request("POST", "/streams/s", data=json.dumps({"a": 1}), headers={
        "Content-Type": "application/json", "ES-EventType": "t", "ES-EventId": str(uuid.uuid4())})
    assert single_event.status_code == 201
