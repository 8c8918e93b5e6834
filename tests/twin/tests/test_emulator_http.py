"""The HTTP API of a single secure emulator node: shapes, status codes, authentication and persistence."""
import json
import pathlib

import jsonschema
import pytest

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import FAST, wait_for

SCHEMA = json.loads((pathlib.Path(__file__).parent / "schemas" / "gossip-22.10.json").read_text())
ADMIN, OPS = ("admin", "changeit"), ("ops", "changeit")


@pytest.fixture
def secure_node(emulators, pki):
    ip = "127.0.10.6"
    crt, key = pki.nodes[ip]
    conf = dict(FAST, ClusterSize=1, DiscoverViaDns=False, CertificateFile=str(crt),
                CertificatePrivateKeyFile=str(key), TrustedRootCertificatesPath=str(pki.ca.directory))
    node = emulators.node(ip, conf, pki.ca_file).start()
    wait_for(lambda: node.state() == "Leader", what="the node to lead")
    return node


def test_gossip_matches_the_22_10_schema(secure_node):
    body = secure_node.gossip()
    jsonschema.validate(body, SCHEMA)
    assert list(body) == ["members", "serverIp", "serverPort"]
    assert list(body["members"][0]) == SCHEMA["$defs"]["member"]["required"]


def test_schema_rejects_what_22_10_would_not_send(secure_node):
    body = secure_node.gossip()
    with_version = json.loads(json.dumps(body))
    with_version["members"][0]["esVersion"] = "23.10.0.0"
    missing = json.loads(json.dumps(body))
    del missing["members"][0]["epochId"]
    numeric_state = json.loads(json.dumps(body))
    numeric_state["members"][0]["state"] = 8
    for wrong in (with_version, missing, numeric_state):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, SCHEMA)


def test_gossip_json_is_indented_camel_case(secure_node):
    text = secure_node.request("GET", "/gossip").text
    assert text.startswith('{\n  "members": [') and '"httpEndPointIp"' in text


def test_info_reports_lowercase_state_and_version(secure_node):
    info = secure_node.request("GET", "/info").json()
    assert info == {"esVersion": "22.10.0.0", "state": "leader",
                    "features": {"projections": False, "userManagement": True, "atomPub": False},
                    "authentication": {"type": "internal", "properties": {}}}


def test_info_options_shows_effective_values_to_ops_and_admins(secure_node):
    assert secure_node.request("GET", "/info/options").status_code == 401
    options = {o["name"]: o for o in secure_node.request("GET", "/info/options", auth=OPS).json()}
    assert options["ClusterSize"]["value"] == "1" and options["ClusterSize"]["group"] == "Cluster Options"
    assert options["IntIp"]["value"] == secure_node.ip
    assert options["DiscoverViaDns"]["value"] == "False"
    assert options["RunProjections"]["possibleValues"] == ["None", "System", "All"]
    assert options["QuorumSize"]["value"] == "1"


def test_health_live_ping_and_stats(secure_node):
    assert secure_node.request("GET", "/health/live").status_code == 204
    assert secure_node.request("HEAD", "/health/live").status_code == 204
    assert secure_node.request("POST", "/health/live").status_code == 405
    assert secure_node.request("GET", "/ping").json() == {"text": "Ping request successfully handled"}
    assert {"proc", "sys", "es"} <= set(secure_node.request("GET", "/stats").json())


@pytest.mark.parametrize("method, path", [("GET", "/"), ("GET", "/streams/$all"),
                                          ("GET", "/users/admin/command/reset-password/x")])
def test_anything_else_is_not_found(secure_node, method, path):
    assert secure_node.request(method, path, auth=ADMIN).status_code == 404


def test_admin_endpoints_need_admins_or_ops(secure_node):
    assert secure_node.request("POST", "/admin/node/resign").status_code == 401
    assert secure_node.request("POST", "/admin/node/resign", auth=("admin", "wrong")).status_code == 401
    assert secure_node.request("POST", "/admin/node/resign", auth=("nobody", "changeit")).status_code == 401
    assert secure_node.request("POST", "/admin/shutdown").status_code == 401
    assert secure_node.request("POST", "/admin/node/resign", auth=OPS).status_code == 200
    assert secure_node.request("POST", "/admin/shutdown", auth=ADMIN).status_code == 200
    secure_node.process.wait(10)
    assert secure_node.process.returncode == 0


def test_password_reset_needs_admin_and_persists(secure_node):
    path = "/users/ops/command/reset-password"
    assert secure_node.request("POST", path, json={"newPassword": "n3w"}, auth=OPS).status_code == 401
    assert secure_node.request("POST", path, json={"newPassword": "n3w"}).status_code == 401
    assert secure_node.request("POST", path, json={}, auth=ADMIN).status_code == 400
    reply = secure_node.request("POST", path, json={"newPassword": "n3w"}, auth=ADMIN)
    assert reply.status_code == 200 and reply.json()["success"] is True
    assert secure_node.request("POST", "/users/nobody/command/reset-password", json={"newPassword": "x"},
                               auth=ADMIN).status_code == 404
    assert secure_node.stop() == 0
    assert "n3w" not in (secure_node.dir / "db" / "twin-state.json").read_text()
    secure_node.start()
    wait_for(lambda: secure_node.state() == "Leader", what="the restarted node to lead")
    assert secure_node.request("POST", "/admin/node/resign", auth=OPS).status_code == 401
    assert secure_node.request("POST", "/admin/node/resign", auth=("ops", "n3w")).status_code == 200


def test_disable_options_unregister_endpoints(emulators):
    conf = dict(FAST, Insecure=True, ClusterSize=1, DisableAdminUi=True, DisableGossipOnHttp=True,
                DisableStatsOnHttp=True)
    node = emulators.node("127.0.10.7", conf).start()
    wait_for(node.is_up, what="node up")
    assert node.request("GET", "/info").status_code == 200
    for method, path in (("GET", "/gossip"), ("GET", "/stats"), ("POST", "/admin/shutdown"),
                         ("POST", "/admin/node/resign")):
        assert node.request(method, path).status_code == 404, path


def test_advertised_addresses_for_clients(emulators):
    conf = dict(FAST, Insecure=True, ClusterSize=1, AdvertiseHostToClientAs="db.example",
                AdvertiseHttpPortToClientAs=443, AdvertiseTcpPortToClientAs=1443)
    node = emulators.node("127.0.10.9", conf).start()
    wait_for(node.is_up, what="node up")
    body = node.request("GET", "/gossip").json()
    member = body["members"][0]
    assert (body["serverIp"], body["serverPort"]) == ("db.example", 443)
    assert (member["httpEndPointIp"], member["httpEndPointPort"]) == ("db.example", 443)
    assert (member["externalTcpIp"], member["externalTcpPort"]) == ("db.example", 1443)
    assert member["internalTcpIp"] == "127.0.10.9"


def test_insecure_mode_has_no_authentication_or_user_management(emulators):
    node = emulators.node("127.0.10.8", dict(FAST, Insecure=True, ClusterSize=1)).start()
    wait_for(lambda: node.state() == "Leader", what="the node to lead")
    info = node.request("GET", "/info").json()
    assert info["features"]["userManagement"] is False and info["authentication"]["type"] == "insecure"
    gossip = node.gossip()
    assert (gossip["members"][0]["internalTcpPort"], gossip["members"][0]["internalSecureTcpPort"]) == (1112, 0)
    assert node.request("POST", "/users/admin/command/reset-password", json={"newPassword": "x"}).status_code == 404
    assert node.request("POST", "/admin/shutdown").status_code == 200
