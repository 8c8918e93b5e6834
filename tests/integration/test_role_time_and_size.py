"""roles/eventstore on the controller alone (local connection, no containers): the ClusterSize guard
and the time-synchronisation inputs, refused in preflight before anything changes.

Runs only the phases tagged `always` (preflight and the read-only probe). Each member's live
eventstore.conf is a file of the test's own (the role's private path is pointed at it).
"""

import jinja2
import pytest

from ansible_collections.esdb.cluster.tests.lib.formed_cluster import cluster_fixture
from ansible_collections.esdb.cluster.tests.lib.role_files import ROLE
from ansible_collections.esdb.cluster.tests.lib.role_local import entry_point_play, inventory, node_hosts, run_playbook

PLAYBOOK = """
- hosts: eventstore:eventstore_leaving
  gather_facts: false
  pre_tasks:
    - name: The distribution the test stands for
      fake_distribution: {}
      when: fake_distribution | default(false)
      tags: [always]
  roles: [esdb.cluster.eventstore]
"""

# A module of the test's own: it reports the distribution facts preflight reads.
FAKE_DISTRIBUTION = """#!/usr/bin/python
import json
print(json.dumps({"changed": False, "ansible_facts": {
    "distribution": "Ubuntu", "distribution_release": "focal", "distribution_major_version": "20"}}))
"""


def hosts(names):
    return {name: {"eventstore_node_ip": "10.0.0.%d" % (10 + int(name[1:]))} for name in names}


def run(tmp_path, members, live_sizes, leaving=(), extra_vars=None):
    """Preflight over `members` whose live eventstore.conf holds `live_sizes` (host -> size; absent: no file)."""
    confs = tmp_path / "confs"
    confs.mkdir(exist_ok=True)
    for host, size in live_sizes.items():
        (confs / (host + ".conf")).write_text("# managed\nClusterSize: %d\nDiscoverViaDns: false\n" % size)
    (tmp_path / "library").mkdir(exist_ok=True)
    (tmp_path / "library" / "fake_distribution.py").write_text(FAKE_DISTRIBUTION)
    variables = {"_eventstore_config_file": str(confs) + "/{{ inventory_hostname }}.conf"}
    variables.update(extra_vars or {})
    local = inventory(hosts(members), hosts(leaving), eventstore_pki_dir="/nonexistent/pki")
    return run_playbook(tmp_path, PLAYBOOK, local, variables, options=["--tags", "preflight-only"])


ADVICE = ("A stopped node is missing from the EC2 inventory: start it and run again. To shrink the cluster, move "
          "the leaving hosts to the leaving group (playbooks/resize.yml), or set "
          "eventstore_allow_cluster_size_change: true.")


def test_a_run_while_two_of_five_nodes_are_stopped_is_refused_naming_hosts_and_sizes(tmp_path):
    rc, output = run(tmp_path, ["n1", "n2", "n3"], {"n1": 5, "n2": 5, "n3": 5})
    assert rc != 0
    assert ("ClusterSize would shrink from 5 to 3: n1, n2, n3 run with ClusterSize 5, but the inventory group "
            "'eventstore' lists 3 voters. " + ADVICE) in output
    # Refused in preflight: the probe, the first phase that reads the package, never ran.
    assert "The service, package and managed files on the node are read" not in output


ACCEPTED = {
    "same size": (["n1", "n2", "n3"], {"n1": 3, "n2": 3, "n3": 3}, (), None),
    "growing (a resize that adds nodes)": (["n1", "n2", "n3", "n4", "n5"], {"n1": 3, "n2": 3, "n3": 3}, (), None),
    "new nodes without a config": (["n1", "n2", "n3"], {}, (), None),
    "a resize with leaving hosts": (["n1", "n2", "n3"], {"n1": 5, "n2": 5, "n3": 5}, ("n4", "n5"), None),
    "explicitly allowed, as text from -e": (["n1", "n2", "n3"], {"n1": 5, "n2": 5, "n3": 5}, (),
                                            {"eventstore_allow_cluster_size_change": "true"}),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_sizes_that_do_not_shrink_by_accident_pass_preflight(tmp_path, case):
    members, live, leaving, extra = ACCEPTED[case]
    rc, output = run(tmp_path, members, live, leaving, extra)
    assert rc == 0, output[-3000:]
    assert "ClusterSize does not shrink by accident" in output


BAD_TIME = {
    "servers as text": ({"eventstore_time_sync_servers": "169.254.169.123"},
                        "Host n1: eventstore_time_sync_servers must be a list, not the text '169.254.169.123'"),
    "server with options": ({"eventstore_time_sync_servers": ["169.254.169.123 maxpoll 17"]},
                            "Host n1: eventstore_time_sync_servers must list host names or IP addresses (no spaces "
                            "or options); these are not: '169.254.169.123 maxpoll 17'."),
    "negative skew": ({"eventstore_max_clock_skew": -2},
                      "Host n1: eventstore_max_clock_skew must be a whole number of seconds from 0 to 86400, not -2."),
    "time sync on Ubuntu 20.04": ({"eventstore_time_sync": True, "fake_distribution": True},
                                  "eventstore_time_sync needs chrony 4 (its sources.d directory); n1 runs Ubuntu "
                                  "focal, whose chrony is older."),
}


@pytest.mark.parametrize("case", sorted(BAD_TIME))
def test_bad_time_settings_stop_preflight_with_a_clear_message(tmp_path, case):
    extra, sentence = BAD_TIME[case]
    rc, output = run(tmp_path, ["n1", "n2", "n3"], {}, extra_vars=extra)
    assert rc != 0
    assert sentence in " ".join(output.split()), output[-3000:]


def test_time_sync_on_a_chrony_4_distribution_passes_preflight(tmp_path):
    # The controller runs Debian 12 (chrony 4.3).
    rc, output = run(tmp_path, ["n1", "n2", "n3"], {}, extra_vars={"eventstore_time_sync": True})
    assert rc == 0, output[-3000:]


def test_chrony_sources_file_lists_each_server_preferred_and_polled_every_16_s():
    # Ansible renders templates with trim_blocks.
    template = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True).from_string(
        (ROLE / "templates" / "chrony.sources.j2").read_text())
    text = template.render(ansible_managed="Ansible managed",
                           eventstore_time_sync_servers=["169.254.169.123", "fd00:ec2::123"])
    assert [line for line in text.splitlines() if not line.startswith("#")] == [
        "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4",
        "server fd00:ec2::123 prefer iburst minpoll 4 maxpoll 4"]


# The verify entry point against three insecure emulator nodes on loopback (one clock, so a tiny skew).
SKEW_HOSTS = ["127.0.20.71", "127.0.20.72", "127.0.20.73"]
insecure_cluster = cluster_fixture(SKEW_HOSTS, "Insecure")


def verify(tmp_path, limit):
    local = inventory(node_hosts(SKEW_HOSTS), eventstore_insecure=True, eventstore_checks_from="controller",
                      eventstore_wait_timeout=30, eventstore_max_clock_skew=limit)
    return run_playbook(tmp_path, entry_point_play("verify"), local)


@pytest.mark.slow
@pytest.mark.parametrize("limit,shown", [(5, "limit 5 s"), (0, "limit off")])
def test_verify_shows_the_largest_clock_skew_and_its_limit(tmp_path, insecure_cluster, limit, shown):
    rc, output = verify(tmp_path, limit)
    assert rc == 0, output[-3000:]
    line = next(line for line in output.splitlines() if '"Clock skew: ' in line)
    assert " ahead of 127.0.20.7" in line and "(at least 0.000 s" in line and line.rstrip('",').endswith(shown), line
