"""Scavenging over HTTP as 22.10 exposes it: POST /admin/scavenge, DELETE /admin/scavenge/{id}, and the
$scavenges streams (AdminController.cs l.41-62, 123-261; TFChunkScavengerLog.cs l.40, 47-103, 236-275)."""
import json

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import FAST, wait_for

ADMIN, OPS = ("admin", "changeit"), ("ops", "changeit")
ATOM = {"Accept": "application/vnd.eventstore.atom+json"}


def secure_node(emulators, pki, ip="127.0.10.6"):
    crt, key = pki.nodes[ip]
    node = emulators.node(ip, dict(FAST, ClusterSize=1, DiscoverViaDns=False, CertificateFile=str(crt),
                                   CertificatePrivateKeyFile=str(key),
                                   TrustedRootCertificatesPath=str(pki.ca.directory)), pki.ca_file).start()
    wait_for(lambda: node.state() == "Leader", what="a leader")
    return node


def completed(node, scavenge_id, auth=OPS):
    response = node.request("GET", "/streams/$scavenges/%s/head/20?embed=body" % scavenge_id,
                            headers=ATOM, auth=auth)
    if response.status_code != 200:
        return None
    done = [e for e in response.json()["entries"] if e["eventType"] == "$scavengeCompleted"]
    return json.loads(done[0]["data"]) if done else None


def test_scavenge_starts_reports_and_refuses_a_second_run(emulators, pki):
    node = secure_node(emulators, pki)
    assert node.request("POST", "/admin/scavenge").status_code == 401
    started = node.request("POST", "/admin/scavenge?startFromChunk=0&threads=1", auth=OPS)
    assert started.status_code == 200
    scavenge_id = started.json()["scavengeId"]
    busy = node.request("POST", "/admin/scavenge", auth=ADMIN)
    assert busy.status_code == 400
    result = wait_for(lambda: completed(node, scavenge_id), what="$scavengeCompleted")
    assert result["result"] == "Success" and result["scavengeId"] == scavenge_id
    assert result["spaceSaved"] == 0
    # The per-scavenge stream is readable by $ops; the $scavenges index stream only by $admins.
    index = node.request("GET", "/streams/$scavenges?embed=body", headers=ATOM, auth=ADMIN)
    assert index.status_code == 200
    assert {e["eventType"] for e in index.json()["entries"]} == {"$>"}
    assert node.request("GET", "/streams/$scavenges", headers=ATOM, auth=OPS).status_code == 401
    assert node.request("GET", "/streams/$scavenges/%s/0/1" % scavenge_id, headers=ATOM).status_code == 401
    assert node.request("POST", "/admin/scavenge", auth=OPS).status_code == 200


def test_scavenge_parameters_are_checked_as_22_10_does(emulators, pki):
    node = secure_node(emulators, pki)
    for query, reason in [("startFromChunk=-1", "startFromChunk must be a positive integer"),
                          ("threads=0", "threads must be a 1 or above"),
                          ("threshold=x", "threshold must be an integer"),
                          ("throttlePercent=0", "throttlePercent must be between 1 and 100 inclusive"),
                          ("threads=2&throttlePercent=50", "throttlePercent must be 100 for a multi-threaded scavenge"),
                          ("syncOnly=maybe", "syncOnly must be a boolean")]:
        response = node.request("POST", "/admin/scavenge?" + query, auth=ADMIN)
        assert (response.status_code, response.reason) == (400, reason), query


def test_a_running_scavenge_can_be_stopped_and_unknown_ids_are_404(emulators, pki):
    node = secure_node(emulators, pki)
    assert node.request("DELETE", "/admin/scavenge/not-running", auth=ADMIN).status_code == 404
    scavenge_id = node.request("POST", "/admin/scavenge", auth=ADMIN).json()["scavengeId"]
    stopped = node.request("DELETE", "/admin/scavenge/%s" % scavenge_id, auth=ADMIN)
    assert stopped.status_code == 200 and stopped.json() == scavenge_id
    assert wait_for(lambda: completed(node, scavenge_id), what="the stopped run")["result"] == "Stopped"


def test_a_follower_scavenges_itself_and_its_events_go_through_the_leader(emulators):
    cluster = emulators.cluster(["127.0.10.1", "127.0.10.2", "127.0.10.3"]).start()
    leader = wait_for(cluster.agreed_leader, what="one agreed leader")
    follower = next(n for n in cluster.nodes if n is not leader)
    scavenge_id = follower.request("POST", "/admin/scavenge").json()["scavengeId"]
    result = wait_for(lambda: completed(follower, scavenge_id), what="the follower's scavenge")
    assert result["nodeEndpoint"] == "%s:2113" % follower.ip
    assert completed(leader, scavenge_id) == result
