"""A read-only replica needs a cluster, and /gossip shows clients the addresses 22.10 shows them.

22.10 sources: ClusterVNode.cs l.330-333 (ReadOnlyReplica with ClusterSize 1 is an InvalidConfigurationException),
l.866-916 (GetGossipAdvertiseInfo: the HTTP endpoint is ExtHostAdvertiseAs ?? ExtIp, HttpPortAdvertiseAs ?? HttpPort),
ClientClusterInfo.cs l.72-89 (each member: AdvertiseHostToClientAs / AdvertiseHttpPortToClientAs when set, the
member's HTTP endpoint otherwise), GossipServiceBase.cs l.182-191 (serverIp/serverPort the same way for the
answering node).
"""
from ansible_collections.esdb.cluster.tests.lib.emu_cluster import run, wait_for

IPS = ["127.0.10.1", "127.0.10.2", "127.0.10.3"]


def test_a_read_only_replica_without_a_cluster_is_rejected_at_start(tmp_path):
    result = run(["--insecure", "--read-only-replica", "--cluster-size", "1", "--db", str(tmp_path / "db"),
                  "--log", str(tmp_path / "log"), "--int-ip", "127.0.10.4", "--ext-ip", "127.0.10.4"])
    assert result.returncode == 1
    assert "FTL] Invalid Configuration: This node cannot be configured as a Read Only Replica as these node types " \
           "are only supported in a clustered configuration." in result.stdout
    assert not (tmp_path / "db" / "writer.chk").exists() or "SYSTEM INIT" not in result.stdout


def test_each_member_is_shown_with_its_own_client_address(emulators):
    extra = {0: {"AdvertiseHostToClientAs": "one.example", "AdvertiseHttpPortToClientAs": 8443},
             1: {"ExtHostAdvertiseAs": "localhost", "HttpPortAdvertiseAs": 2114}}
    cluster = emulators.cluster(IPS, extra=extra).start()

    def view():
        body = cluster.nodes[2].gossip()
        found = {(m["httpEndPointIp"], m["httpEndPointPort"], m["externalTcpIp"]) for m in body["members"]}
        return found if ("one.example", 8443, "one.example") in found else None

    members = wait_for(view, what="node 3 to hear from node 1")
    assert ("127.0.10.3", 2113, "127.0.10.3") in members
    assert cluster.nodes[2].gossip()["serverIp"] == "127.0.10.3"
    first = cluster.nodes[0].gossip()
    assert (first["serverIp"], first["serverPort"]) == ("one.example", 8443)
    # Node 2 advertises the host and port peers must dial (ExtHostAdvertiseAs ?? ExtIp), and shows itself so.
    second = wait_for(cluster.nodes[1].gossip, what="node 2 to answer")
    assert (second["serverIp"], second["serverPort"]) == ("localhost", 2114)
    assert ("localhost", 2114) in {(m["httpEndPointIp"], m["httpEndPointPort"]) for m in second["members"]}
