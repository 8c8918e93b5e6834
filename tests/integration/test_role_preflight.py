"""roles/eventstore preflight on the controller alone (local connection, no containers).

Runs only the phases tagged `always` (preflight and the read-only probe), so nothing is
installed or written; each bad input must stop the play with a message naming the value and the fix.
"""

import json
import subprocess
from pathlib import Path

import pytest

from ansible_collections.esdb.cluster.tests.lib.role_files import REPO, VENV_BIN
from ansible_collections.esdb.cluster.tests.lib.role_molecule import environment

PLAYBOOK = """
- hosts: eventstore
  gather_facts: false
  roles: [esdb.cluster.eventstore]
  post_tasks:
    - name: Derived settings are shown
      ansible.builtin.debug:
        msg: "DERIVED {{ {'config': _eventstore_me.config, 'sans': _eventstore_me.sans} | to_json }}"
      tags: [always]
"""


def inventory(host_vars=None):
    hosts = {f"n{i}": {"eventstore_node_ip": f"10.0.0.1{i}"} for i in (1, 2, 3)}
    for host, extra in (host_vars or {}).items():
        hosts.setdefault(host, {}).update(extra)
    return {"all": {"vars": {"ansible_connection": "local",
                             "ansible_python_interpreter": str(VENV_BIN / "python"),
                             "eventstore_admin_password": "a-secret", "eventstore_ops_password": "o-secret",
                             "eventstore_pki_dir": "/nonexistent/pki",
                             # This controller runs Debian: only a repository of one's own serves it.
                             "eventstore_apt_repo_url": "http://mirror.invalid/eventstore-oss/debian/"},
                    "children": {"eventstore": {"hosts": hosts}}}}


def preflight(tmp_path, host_vars=None, extra_vars=None):
    (tmp_path / "inventory.json").write_text(json.dumps(inventory(host_vars)))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    command = [str(VENV_BIN / "ansible-playbook"), "-i", str(tmp_path / "inventory.json"),
               str(tmp_path / "play.yml"), "--tags", "preflight-only"]
    if extra_vars:
        command += ["--extra-vars", json.dumps(extra_vars)]
    result = subprocess.run(command, cwd=REPO, env=environment(), capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


def derived(output, host):
    """The DERIVED debug message of one host, as a dict."""
    blocks = output.split(f"ok: [{host}] => {{")[1:]
    message = next(block for block in blocks if "DERIVED" in block)
    return json.loads(json.loads(message.split('"msg": ', 1)[1].split("\n", 1)[0])[len("DERIVED "):])


def test_good_inventory_derives_seeds_size_and_sans(tmp_path):
    rc, output = preflight(tmp_path, host_vars={"n4": {"eventstore_node_ip": "10.0.0.14",
                                                       "eventstore_read_only_replica": True},
                                                "n2": {"eventstore_config": {"NodePriority": 5}}})
    assert rc == 0, output[-3000:]
    n1, n2, n4 = derived(output, "n1"), derived(output, "n2"), derived(output, "n4")
    assert n1["config"]["ClusterSize"] == 3 and n1["config"]["DiscoverViaDns"] is False
    assert n1["config"]["GossipSeed"] == "10.0.0.12:2113,10.0.0.13:2113"
    assert n1["config"]["IntIp"] == n1["config"]["ExtIp"] == "10.0.0.11"
    assert "NodePriority" not in n1["config"] and n2["config"]["NodePriority"] == 5
    assert n4["config"]["ReadOnlyReplica"] is True
    assert n4["config"]["GossipSeed"] == "10.0.0.11:2113,10.0.0.12:2113,10.0.0.13:2113"
    assert "IP:10.0.0.11" in n1["sans"] and "DNS:n1" in n1["sans"]
    assert n1["config"]["CertificatePrivateKeyFile"] == "/etc/eventstore/certs/node.key"


BAD = {
    "even size": ({"n4": {"eventstore_node_ip": "10.0.0.14"}}, None,
                  "ClusterSize 4 is even (voters: n1, n2, n3, n4)"),
    "duplicate IPs": ({"n3": {"eventstore_node_ip": "10.0.0.11"}}, None,
                      "Hosts n1 and n3 of group 'eventstore' share the node address 10.0.0.11"),
    "unknown option": (None, {"eventstore_config": {"GossipIntervalMilliseconds": 1}},
                       "GossipIntervalMilliseconds, which is not a 22.10 option"),
    "23.10 name": (None, {"eventstore_config": {"ReplicationIp": "10.0.0.1"}},
                   "ReplicationIp, a 23.10+ name; in 22.10 use IntIp"),
    "23.10-only option": (None, {"eventstore_config": {"TelemetryOptout": True}},
                          "TelemetryOptout, a 23.10+ option with no 22.10 equivalent"),
    "pre-22.10 option": (None, {"eventstore_config": {"ExtHttpPort": 2114}},
                         "ExtHttpPort, which does not exist in 22.10; use HttpPort"),
    "option twice in different case": (None, {"eventstore_config": {"NodePriority": 1, "nodepriority": 3}},
                                       "would contain NodePriority and nodepriority"),
    "missing ops password": (None, {"eventstore_ops_password": ""}, "A secure cluster needs eventstore_admin_password"),
    "default admin password": (None, {"eventstore_admin_password": "changeit"}, "neither may be 'changeit'"),
    "bad extra SAN": (None, {"eventstore_extra_sans": ["db 1"]},
                      "Host n1: eventstore_extra_sans has entries that are not an IP address (plain or IP:) or a DNS "
                      "name (plain or DNS:): db 1."),
    "CA cert without key": (None, {"eventstore_ca_cert": "/etc/hostname"},
                            "eventstore_ca_cert='/etc/hostname' and eventstore_ca_key='' (set together)"),
    "Debian without a repository of its own": (None, {"eventstore_apt_repo_url": ""},
                                               "packagecloud publishes eventstore-oss 22.10 for Ubuntu (focal, jammy) only"),
    # ansible-core 2.19 names the type "str", 2.17 and 2.18 "<class 'str'>": the same sentence either way.
    "string boolean": (None, {"eventstore_insecure": "maybe"},
                       ("argument 'eventstore_insecure' is of type",
                        "and we were unable to convert to bool: The value 'maybe' is not a valid boolean")),
}


# Each value the role must refuse before anything changes: (host vars, extra vars, the sentence).
BAD_INPUTS = {
    "string boolean not in the argument spec": (None, {"eventstore_restart_force": "maybe"},
                                                "Host n1: eventstore_restart_force must be true or false, not 'maybe'."),
    "port 0": (None, {"eventstore_http_port": 0},
               "Host n1: eventstore_http_port must be a port number from 1 to 65535, not 0."),
    "port above 65535 on one host": ({"n2": {"eventstore_int_tcp_port": 70000}}, None,
                                     "Host n2: eventstore_int_tcp_port must be a port number from 1 to 65535, not 70000."),
    "HTTP port equal to TCP port": (None, {"eventstore_int_tcp_port": 2113},
                                    "Host n1: eventstore_http_port and eventstore_int_tcp_port are both 2113"),
    "ExtTcpPort equal to TCP port": (None, {"eventstore_config": {"ExtTcpPort": 1112}},
                                     "Host n1: eventstore_config ExtTcpPort is 1112, the port of IntTcpPort"),
    "config overrides ClusterSize": (None, {"eventstore_config": {"ClusterSize": 1}},
                                     "Host n1: eventstore_config sets ClusterSize, which the role derives from the "
                                     "members of the inventory group"),
    "config overrides Insecure": ({"n3": {"eventstore_config": {"Insecure": True}}}, None,
                                  "Host n3: eventstore_config sets Insecure, which the role derives from eventstore_insecure"),
    "config overrides GossipSeed": (None, {"eventstore_config": {"GossipSeed": "10.9.9.9:2113"}},
                                    "Host n1: eventstore_config sets GossipSeed"),
    "config sets WhatIf": (None, {"eventstore_config": {"WhatIf": True}}, "Host n1: eventstore_config sets WhatIf"),
    "config null value": (None, {"eventstore_config": {"Db": None}},
                          "Host n1: eventstore_config has no value for Db (null)"),
    "config mapping value": (None, {"eventstore_config": {"Db": {"path": "/x"}}},
                             "Host n1: eventstore_config Db must be a single value or a list, not a mapping"),
    "config value with a line break": (None, {"eventstore_config": {"Db": "/x\nInsecure: true"}},
                                       "Host n1: eventstore_config Db contains a control character"),
    "config secret": (None, {"eventstore_config": {"CertificatePassword": "pfx-Secret-1"}},
                      "Host n1: eventstore_config sets CertificatePassword, a secret that would show in --diff"),
    "drop-in value with a line break": (None, {"eventstore_systemd_service_extra":
                                               {"Nice": "5\nExecStartPre=/bin/touch /tmp/pwned"}},
                                        "Host n1: eventstore_systemd_service_extra Nice contains a control character"),
    "drop-in key not a directive": (None, {"eventstore_systemd_service_extra": {"ExecStartPre=/bin/sh #": "x"}},
                                    "which is not a systemd directive name"),
    "cluster name with a path": (None, {"eventstore_cluster_name": "../../etc"},
                                 "Host n1: eventstore_cluster_name must be a name of letters, digits, '.', '_' and "
                                 "'-' (no '/', no '..'), not '../../etc'"),
    "cluster name with a line break": (None, {"eventstore_cluster_name": "esdb\nInsecure: true"},
                                       "Host n1: eventstore_cluster_name must be a name of letters"),
    "version as a number": (None, {"eventstore_version": 22.10},
                            "Host n1: eventstore_version must be the full package version as quoted text x.y.z, for "
                            "example '22.10.0', not 22.1 (YAML reads an unquoted 22.10 as the number 22.1)."),
    "CA valid 0 days": (None, {"eventstore_ca_valid_days": 0},
                        "Host n1: eventstore_ca_valid_days must be a whole number of days from 1 to 36500, not 0."),
    "renew days not below valid days": (None, {"eventstore_cert_renew_days": 825},
                                        "Host n1: eventstore_cert_renew_days (825) must be smaller than "
                                        "eventstore_cert_valid_days (825)"),
    "negative wait timeout": (None, {"eventstore_wait_timeout": -1},
                              "Host n1: eventstore_wait_timeout must be a whole number of seconds from 1"),
    "SANs as a string": (None, {"eventstore_extra_sans": "db1.example.com"},
                         "Host n1: eventstore_extra_sans must be a list, not the text 'db1.example.com'"),
    "SAN IP that is no IP": (None, {"eventstore_extra_sans": ["IP:999.1.1.1", "IP:example.com"]},
                             "DNS:): IP:999.1.1.1, IP:example.com."),
    "restart host outside the cluster": (None, {"eventstore_restart_hosts": ["n9"]},
                                         "Host n1: eventstore_restart_hosts names n9, which is not a member"),
    "node address 10.0.0.300": ({"n2": {"eventstore_node_ip": "10.0.0.300"}}, None,
                                "Host n2: eventstore_node_ip '10.0.0.300' is not an IP address"),
    "host name as node address": ({"n2": {"eventstore_node_ip": "db2.example.com"}}, None,
                                  "Host n2: eventstore_node_ip 'db2.example.com' is not an IP address"),
    "trailing space hides no duplicate": ({"n3": {"eventstore_node_ip": "10.0.0.11 "}}, None,
                                          "Hosts n1 and n3 of group 'eventstore' share the node address 10.0.0.11"),
    "IPv6 node address": ({"n1": {"eventstore_node_ip": "fd00::11"}}, None,
                          "Host n1: eventstore_node_ip 'fd00::11' is an IPv6 address; EventStoreDB 22.10 cannot read "
                          "one in GossipSeed"),
    "members of two clusters": ({"n1": {"eventstore_cluster": "esdb"}, "n2": {"eventstore_cluster": "esdb"},
                                 "n3": {"eventstore_cluster": "other"}}, None,
                                "Members of group 'eventstore' belong to different clusters (eventstore_cluster): "
                                "'esdb' on n1, n2; 'other' on n3."),
}


def fingerprint(path):
    """Every file under path with its content, or None when path does not exist."""
    if not path.exists():
        return None
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_stops_in_preflight_with_a_clear_message(tmp_path, case):
    host_vars, extra_vars, message = BAD[case]
    rc, output = preflight(tmp_path, host_vars=host_vars, extra_vars=extra_vars)
    assert rc != 0
    for fragment in (message,) if isinstance(message, str) else message:
        assert fragment in output, output[-3000:]
    assert "Traceback" not in output


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_value_is_named_and_nothing_changes(tmp_path, case):
    host_vars, extra_vars, message = BAD_INPUTS[case]
    pki = tmp_path / "pki"
    (pki / "nodes" / "n1").mkdir(parents=True)
    (pki / "ca.crt").write_text("existing CA\n")
    (pki / "nodes" / "n1" / "node.crt").write_text("existing node certificate\n")
    live = [Path("/etc/eventstore"), Path("/etc/systemd/system/eventstore.service.d")]
    before = [fingerprint(pki)] + [fingerprint(path) for path in live]
    rc, output = preflight(tmp_path, host_vars=host_vars, extra_vars=dict(extra_vars or {}, eventstore_pki_dir=str(pki)))
    assert rc != 0
    assert message in output, output[-3000:]
    assert "Traceback" not in output and "pfx-Secret-1" not in output
    assert "fatal: [" in output and "PLAY RECAP" in output
    assert [fingerprint(pki)] + [fingerprint(path) for path in live] == before


def test_string_false_from_the_command_line_keeps_tls_on(tmp_path):
    rc, output = preflight(tmp_path, extra_vars={"eventstore_insecure": "false"})
    assert rc == 0, output[-3000:]
    config = derived(output, "n1")["config"]
    assert "Insecure" not in config and config["CertificateFile"] == "/etc/eventstore/certs/node.crt"


def test_insecure_mode_needs_no_password_and_writes_no_tls_settings(tmp_path):
    rc, output = preflight(tmp_path, extra_vars={"eventstore_insecure": True, "eventstore_admin_password": ""})
    assert rc == 0, output[-3000:]
    config = derived(output, "n1")["config"]
    assert config["Insecure"] is True and config["RunProjections"] == "All"
    assert not [key for key in config if key.startswith("Certificate") or key.startswith("TrustedRoot")]


def test_supplied_pkcs8_key_stops_preflight_naming_the_file_and_the_fix(tmp_path):
    """22.10 reads only PKCS#1 keys and --what-if never loads them: preflight must catch it."""
    import datetime  # pylint: disable=import-outside-toplevel
    import ipaddress  # pylint: disable=import-outside-toplevel

    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import rsa  # pylint: disable=import-outside-toplevel

    now = datetime.datetime.now(datetime.timezone.utc)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "eventstoredb-node")])
    ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
          .serial_number(1).not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=9))
          .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("10.0.0.11"))]), critical=False)
          .sign(key, hashes.SHA256()))
    pem = ca.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "ca.crt").write_bytes(pem)
    (tmp_path / "node.crt").write_bytes(pem)
    (tmp_path / "node.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    rc, output = preflight(tmp_path, host_vars={"n1": {"eventstore_node_cert_file": str(tmp_path / "node.crt"),
                                                       "eventstore_node_key_file": str(tmp_path / "node.key")}},
                           extra_vars={"eventstore_ca_cert": str(tmp_path / "ca.crt"),
                                       "eventstore_ca_key": str(tmp_path / "ca.crt")})
    assert rc != 0
    assert "%s is a PKCS#8 key; EventStoreDB 22.10 reads only PKCS#1" % (tmp_path / "node.key") in output, output[-3000:]
    assert "openssl pkey -in KEY -traditional" in output
