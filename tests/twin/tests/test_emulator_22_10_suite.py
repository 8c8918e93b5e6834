"""Cases of 22.10's own test suite (src/EventStore.Core.Tests at oss-v22.10.0), replayed black-box on the twin.

- Services/Transport/Http/ping_controller_should.cs: /ping answers in JSON, XML or plain text, by ?format= or
  by Accept.
- Services/Transport/Http/Authorization/authorization_tests.cs l.140-250: for every admin and user route, a
  caller below the required level gets 401 (anonymous: 401-403), a caller at or above it anything but 401.
  Levels here are None, Ops and Admin (the twin has no other users); stream, subscription, histogram and web
  routes are outside the twin (README: what is not emulated).
- AdminController.cs l.263-285 (no dedicated 22.10 test): POST /admin/node/priority/{n} sets the priority that
  gossip then shows.
"""
from xml.etree import ElementTree

import pytest

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import FAST, wait_for

ADMIN, OPS = ("admin", "changeit"), ("ops", "changeit")
LEVELS = {"None": None, "Ops": OPS, "Admin": ADMIN}
RANK = {"None": 0, "User": 1, "Ops": 2, "Admin": 3}
ROUTES = [
    ("POST", "/admin/scavenge?startFromChunk=0&threads=1", "Ops"),
    ("DELETE", "/admin/scavenge/some-id", "Ops"),
    ("POST", "/admin/mergeindexes", "Ops"),
    ("POST", "/admin/node/priority/3", "Ops"),
    ("POST", "/admin/reloadconfig", "Ops"),
    ("GET", "/ping", "None"),
    ("GET", "/info", "None"),
    ("GET", "/info/options", "Ops"),
    ("GET", "/stats", "None"),
    ("GET", "/users", "Admin"),
    ("GET", "/users/", "Admin"),
    ("GET", "/users/someone", "Admin"),
    ("GET", "/users/$current", "User"),
    ("POST", "/users", "Admin"),
    ("POST", "/users/", "Admin"),
    ("PUT", "/users/someone", "Admin"),
    ("DELETE", "/users/someone", "Admin"),
    ("POST", "/users/someone/command/enable", "Admin"),
    ("POST", "/users/someone/command/disable", "Admin"),
    ("POST", "/users/ops/command/reset-password", "Admin"),
]


@pytest.fixture(name="leader", scope="module")
def leader_fixture(pki, tmp_path_factory):
    from ansible_collections.esdb.cluster.tests.lib.emu_cluster import Node  # pylint: disable=import-outside-toplevel
    ip = "127.0.10.6"
    crt, key = pki.nodes[ip]
    conf = dict(FAST, ClusterSize=1, DiscoverViaDns=False, CertificateFile=str(crt),
                CertificatePrivateKeyFile=str(key), TrustedRootCertificatesPath=str(pki.ca.directory))
    node = Node(tmp_path_factory.mktemp("suite"), ip, conf, pki.ca_file).start()
    try:
        wait_for(lambda: node.state() == "Leader", what="the node to lead")
        yield node
    finally:
        node.kill()


@pytest.mark.parametrize("level", sorted(LEVELS))
@pytest.mark.parametrize("method, path, required", ROUTES)
def test_authorization_levels(leader, level, method, path, required):
    body = {"newPassword": "changeit"} if path.endswith("reset-password") else {}
    status = leader.request(method, path, auth=LEVELS[level], json=body if method != "GET" else None).status_code
    if RANK[level] >= RANK[required]:
        assert status != 401, (method, path, level)
    elif level == "None":
        assert 401 <= status <= 403, (method, path, level, status)
    else:
        assert status == 401, (method, path, level, status)


@pytest.mark.parametrize("query, accept, content_type", [
    ("?format=json", None, "application/json"), ("?format=xml", None, "text/xml"),
    ("?format=text", None, "text/plain"), ("", "text/xml", "text/xml"), ("", "text/plain", "text/plain"),
    ("", None, "application/json")])
def test_ping_formats(leader, query, accept, content_type):
    reply = leader.request("GET", "/ping" + query, headers={"Accept": accept} if accept else {})
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].split(";")[0] == content_type
    if content_type == "text/xml":
        root = ElementTree.fromstring(reply.content)
        assert root.tag == "TextMessage" and root.find("Text").text == "Ping request successfully handled"
    elif content_type == "text/plain":
        assert reply.text == "Text: Ping request successfully handled"
    else:
        assert reply.json() == {"text": "Ping request successfully handled"}


def test_node_priority_is_set_over_http_and_shown_in_gossip(leader):
    assert leader.request("POST", "/admin/node/priority/7").status_code == 401
    bad = leader.request("POST", "/admin/node/priority/high", auth=OPS)
    assert bad.status_code == 400 and bad.reason == "nodePriority must be an integer."
    assert leader.request("POST", "/admin/node/priority/7", auth=OPS).status_code == 200
    wait_for(lambda: leader.me()["nodePriority"] == 7, what="gossip to show the new priority")
    assert leader.request("POST", "/admin/node/priority/-2", auth=ADMIN).status_code == 200
    wait_for(lambda: leader.me()["nodePriority"] == -2, what="gossip to show the new priority")
