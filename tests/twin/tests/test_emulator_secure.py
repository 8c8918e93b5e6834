"""Secure mode: certificate loading at start-up, TLS between nodes, and the peer checks (chain, SAN, CN)."""
import json
import pathlib
import time

import jsonschema
import pytest
import requests

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import FAST, run, wait_for

SCHEMA = json.loads((pathlib.Path(__file__).parent / "schemas" / "gossip-22.10.json").read_text())
IPS = ["127.0.10.1", "127.0.10.2", "127.0.10.3"]


def secure_args(tmp_path, ip="127.0.10.1", cert=None, key=None, trusted=None):
    args = ["--int-ip", ip, "--ext-ip", ip, "--db", str(tmp_path / "db"), "--log", str(tmp_path / "log")]
    for flag, value in (("--certificate-file", cert), ("--certificate-private-key-file", key),
                        ("--trusted-root-certificates-path", trusted)):
        if value is not None:
            args += [flag, str(value)]
    return args


def test_certificate_required_unless_insecure(tmp_path):
    result = run(secure_args(tmp_path))
    assert result.returncode == 1
    assert "FTL] Invalid Configuration: A certificate is required unless insecure mode (--insecure) is set." \
        in result.stdout


def test_trusted_roots_must_be_given(tmp_path, pki):
    crt, key = pki.nodes["127.0.10.1"]
    result = run(secure_args(tmp_path, cert=crt, key=key))
    assert result.returncode == 1
    assert "Invalid Configuration: TrustedRootCertificatesPath must be specified unless insecure mode " \
           "(--insecure) is set." in result.stdout


def test_trusted_roots_path_must_be_a_directory(tmp_path, pki):
    crt, key = pki.nodes["127.0.10.1"]
    result = run(secure_args(tmp_path, cert=crt, key=key, trusted=pki.ca_file))
    assert result.returncode == 1
    assert "System.IO.IOException: Not a directory : '%s'" % pki.ca_file in result.stdout


def test_trusted_roots_directory_without_certificates(tmp_path, pki):
    crt, key = pki.nodes["127.0.10.1"]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(secure_args(tmp_path, cert=crt, key=key, trusted=empty))
    assert result.returncode == 1
    assert "No trusted root certificate files were loaded from the specified path: %s" % empty in result.stdout


def test_certificate_from_another_ca_is_refused(tmp_path, pki):
    crt, key = pki.special("other-ca", "127.0.10.1")
    result = run(secure_args(tmp_path, cert=crt, key=key, trusted=pki.ca.directory))
    assert result.returncode == 1
    assert "ERR] Failed to build the certificate chain with the node's own certificate up to the root with " \
           "error: PartialChain." in result.stdout
    assert "FTL] Invalid Configuration: Aborting certificate loading due to verification errors." in result.stdout


def test_private_key_must_be_rsa_pkcs1(tmp_path, pki):
    crt, key = pki.special("pkcs8", "127.0.10.1")
    result = run(secure_args(tmp_path, cert=crt, key=key, trusted=pki.ca.directory))
    assert result.returncode == 1
    assert "System.Security.Cryptography.CryptographicException: ASN1 corrupted data." in result.stdout


def test_missing_key_file(tmp_path, pki):
    crt, _key = pki.nodes["127.0.10.1"]
    missing = tmp_path / "missing.key"
    result = run(secure_args(tmp_path, cert=crt, key=missing, trusted=pki.ca.directory))
    assert result.returncode == 1
    assert "System.IO.FileNotFoundException: Could not find file '%s'." % missing in result.stdout


def test_three_secure_nodes_elect_over_tls(emulators, pki):
    cluster = emulators.cluster(IPS, pki=pki).start()
    leader = wait_for(cluster.agreed_leader, what="one agreed leader over TLS")
    body = leader.gossip()
    jsonschema.validate(body, SCHEMA)
    assert (body["serverIp"], body["serverPort"]) == (leader.ip, 2113)
    wait_for(lambda: all(m["isAlive"] for m in leader.members()), what="every member alive")
    for member in leader.members():
        assert (member["internalTcpPort"], member["internalSecureTcpPort"]) == (0, 1112)
        assert (member["externalTcpPort"], member["externalSecureTcpPort"]) == (0, 1113)
    assert "Certificate chain verification successful." in leader.log()
    with pytest.raises(requests.ConnectionError):
        requests.get("http://%s:2113/gossip" % leader.ip, timeout=3)


def test_node_calls_need_a_node_certificate(emulators, pki):
    node = _single(emulators, pki, "127.0.10.4")
    response = node.request("POST", "/gossip", json={"server": {"host": "127.0.10.9", "port": 2113},
                                                     "members": []})
    assert response.status_code == 401


def _single(emulators, pki, ip, cert=None, **settings):
    crt, key = cert or pki.nodes[ip]
    conf = dict(FAST, ClusterSize=1, DiscoverViaDns=False, CertificateFile=str(crt),
                CertificatePrivateKeyFile=str(key), TrustedRootCertificatesPath=str(pki.ca.directory))
    conf.update(settings)
    # A node with a deliberately wrong certificate is read without verification by the test itself.
    node = emulators.node(ip, conf, None if cert else pki.ca_file).start()
    wait_for(node.is_up, what="%s up" % ip)
    return node


def _never_alive(observer, ip, seconds=2.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen = [m for m in observer.members() if m["httpEndPointIp"] == ip]
        assert not any(m["isAlive"] and m["instanceId"][:8] != "00000000" for m in seen), \
            "%s must never see %s alive: %s" % (observer.ip, ip, seen)
        time.sleep(0.1)


def test_peer_with_wrong_common_name_is_refused(emulators, pki):
    good = _single(emulators, pki, "127.0.10.5", GossipSeed=["127.0.10.6:2113"])
    bad = _single(emulators, pki, "127.0.10.6", cert=pki.special("wrong-cn", "127.0.10.6"),
                  GossipSeed=["127.0.10.5:2113"])
    wait_for(lambda: "is not a node certificate: its CN is not the reserved node common name" in good.log(),
             what="the CN refusal in the log")
    _never_alive(good, bad.ip)
    _never_alive(bad, good.ip, seconds=0.5)


def test_peer_with_a_certificate_from_an_untrusted_ca_is_refused(emulators, pki):
    good = _single(emulators, pki, "127.0.10.1", GossipSeed=["127.0.10.2:2113"])
    # The other node trusts its own (other) CA, so it starts; the good node does not trust that CA.
    bad = _single(emulators, pki, "127.0.10.2", cert=pki.special("other-ca", "127.0.10.2"),
                  TrustedRootCertificatesPath=str(pki.other_ca.directory))
    wait_for(lambda: "failed validation with the following error(s): RemoteCertificateChainErrors" in good.log(),
             what="the chain refusal in the log")
    _never_alive(good, bad.ip)


def test_peer_whose_certificate_lacks_the_dialled_address_is_refused(emulators, pki):
    good = _single(emulators, pki, "127.0.10.7", GossipSeed=["127.0.10.8:2113"])
    bad = _single(emulators, pki, "127.0.10.8", cert=pki.special("wrong-san", "127.0.10.8"))
    wait_for(lambda: "failed validation with the following error(s): RemoteCertificateNameMismatch" in good.log(),
             what="the SAN mismatch in the log")
    _never_alive(good, bad.ip)
