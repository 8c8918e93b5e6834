"""Users are replicated data (22.10 keeps them in $user-<login> streams): a change made through any node reaches
every node, followers forward user commands to the leader, and without a leader the command times out.

22.10 sources: UsersController.cs (l.34-37, 144-170: forward first, then publish), HttpSendService.cs
(l.130-141: forward only with a known leader; l.227-229: 500 when the forward fails),
ClusterVNodeController.cs (l.135-139: writes without a leader are denied NotReady, which the user service never
answers), AuthenticatedHttpRequestProcessor.cs (l.27-35: 408 after ESConsts.HttpTimeout, 10 s),
LegacyAuthorizationProviderFactory.cs (l.96-99: reset needs $admins, change needs the user itself).
"""
import time

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import wait_for

IPS = ["127.0.10.1", "127.0.10.2", "127.0.10.3"]
ADMIN = ("admin", "changeit")


def accepts(node, login, password):
    return node.request("GET", "/info/options", auth=(login, password)).status_code == 200


def everyone(cluster, login, password, expected):
    return all(accepts(node, login, password) is expected for node in cluster.nodes)


def secure_cluster(emulators, pki):
    cluster = emulators.cluster(IPS, pki=pki).start()
    leader = wait_for(cluster.agreed_leader, what="one agreed leader and two followers")
    return cluster, leader, [n for n in cluster.nodes if n is not leader]


def test_a_reset_through_a_follower_reaches_every_node(emulators, pki):
    cluster, _leader, followers = secure_cluster(emulators, pki)
    reply = followers[0].request("POST", "/users/ops/command/reset-password", json={"newPassword": "0ps-n3w"},
                                 auth=ADMIN)
    assert reply.status_code == 200 and reply.json() == {"loginName": "ops", "success": True, "error": "Success"}
    # One replication round: a heartbeat interval (200 ms here) plus the time to ask three nodes.
    wait_for(lambda: everyone(cluster, "ops", "0ps-n3w", True), timeout=2.0, what="every node to take the new one")
    assert everyone(cluster, "ops", "changeit", False)


def test_a_reset_on_the_leader_reaches_the_followers_and_survives_a_failover(emulators, pki):
    cluster, leader, followers = secure_cluster(emulators, pki)
    assert leader.request("POST", "/users/admin/command/reset-password", json={"newPassword": "adm1n"},
                          auth=ADMIN).status_code == 200
    wait_for(lambda: everyone(cluster, "admin", "adm1n", True), timeout=2.0, what="the followers to take it")
    leader.kill()
    new_leader = wait_for(lambda: cluster.agreed_leader(followers), what="a new leader among the followers")
    assert accepts(new_leader, "admin", "adm1n") and not accepts(new_leader, "admin", "changeit")


def test_change_password_is_for_the_user_itself_with_its_current_password(emulators, pki):
    cluster, _leader, followers = secure_cluster(emulators, pki)
    path = "/users/ops/command/change-password"
    follower = followers[1]
    assert follower.request("POST", path, json={"currentPassword": "changeit", "newPassword": "x"},
                            auth=ADMIN).status_code == 401
    wrong = follower.request("POST", path, json={"currentPassword": "nope", "newPassword": "x"},
                             auth=("ops", "changeit"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "Unauthorized"
    right = follower.request("POST", path, json={"currentPassword": "changeit", "newPassword": "0ps2"},
                             auth=("ops", "changeit"))
    assert right.status_code == 200 and right.json()["success"] is True
    wait_for(lambda: everyone(cluster, "ops", "0ps2", True), timeout=2.0, what="every node to take the change")
    assert everyone(cluster, "ops", "changeit", False)


def test_without_a_leader_a_reset_times_out_and_changes_nothing(emulators, pki):
    cluster = emulators.cluster(IPS, pki=pki)
    lonely = cluster.nodes[0].start()
    wait_for(lambda: lonely.state() == "Unknown", what="the lone node to give up discovery")
    started = time.monotonic()
    reply = lonely.request("POST", "/users/ops/command/reset-password", json={"newPassword": "x"}, auth=ADMIN,
                           timeout=20)
    elapsed = time.monotonic() - started
    assert reply.status_code == 408 and reply.reason == "Server was unable to handle request in time"
    assert 9.5 <= elapsed < 15
    assert accepts(lonely, "ops", "changeit") and not accepts(lonely, "ops", "x")


def test_a_follower_authenticates_with_its_own_copy_before_forwarding(emulators, pki):
    _cluster, _leader, followers = secure_cluster(emulators, pki)
    reply = followers[0].request("POST", "/users/ops/command/reset-password", json={"newPassword": "x"},
                                 auth=("admin", "wrong"))
    assert reply.status_code == 401
    assert followers[0].request("POST", "/users/ops/command/reset-password", json={"newPassword": "x"},
                                auth=("ops", "changeit")).status_code == 401


def test_insecure_nodes_register_no_user_commands(emulators):
    node = emulators.node("127.0.10.8", {"Insecure": True, "ClusterSize": 1}).start()
    wait_for(lambda: node.state() == "Leader", what="the node to lead")
    for command in ("reset-password", "change-password"):
        assert node.request("POST", "/users/admin/command/" + command, json={"newPassword": "x"}).status_code == 404
