"""Access modes in an isolated twin network: the controller in its own network namespace.

Root and Docker only, and only while holding /tmp/esdb-docker-e2e.lock (the other Docker suites on this
machine use it too). Everything made here is named esdb-acc-* on 10.77.0.0/24 (nodes) and 10.77.1.0/24
(the bastion's edge network), which the demo (esdb-demo, 10.42.0.0/24), tests/e2e/test_site.py and
Molecule (10.42.x.0/24) do not use.

Not collected by `make test` yet; run it with
  ESDB_ACCESS_E2E=1 flock /tmp/esdb-docker-e2e.lock .venv/bin/pytest -q tests/e2e/test_access_modes.py
"""
import os
import subprocess
import time

import pytest

from ansible_collections.esdb.cluster.tests.lib.controller_netns import (
    ControllerNamespace, DockerNetwork, namespaces)

if not os.environ.get("ESDB_ACCESS_E2E"):
    pytest.skip("set ESDB_ACCESS_E2E=1 and hold /tmp/esdb-docker-e2e.lock to run", allow_module_level=True)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PREFIX = "esdb-acc-"
IMAGE = os.environ.get("ESDB_ACCESS_IMAGE", "esdb-twin/debian12-systemd:latest")
NODE_IP, BASTION_NODE_IP, BASTION_EDGE_IP = "10.77.0.11", "10.77.0.10", "10.77.1.10"
# A plain TCP listener stands in for each service: isolation is about routes, not protocols.
LISTEN = "import socket,time\ns=socket.socket();s.bind(('0.0.0.0',%d));s.listen(8)\nwhile True: s.accept()[0].close()"


def docker(*args, check=True):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=check)


def listener(name, network, ip, port):
    docker("run", "-d", "--name", name, "--label", "esdb.access-e2e=1", "--network", network, "--ip", ip,
           "--entrypoint", "python3", IMAGE, "-c", LISTEN % port)


def reaches(container, host, port):
    probe = "import socket,sys;socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=2).close()"
    return docker("exec", container, "python3", "-c", probe, host, str(port), check=False).returncode == 0


@pytest.fixture(scope="module")
def networks():
    nodes = DockerNetwork(PREFIX + "nodes", "10.77.0.0/24")
    edge = DockerNetwork(PREFIX + "edge", "10.77.1.0/24")
    made = []
    try:
        for network in (nodes, edge):
            network.create()
            made.append(network)
        listener(PREFIX + "node-1", nodes.name, NODE_IP, 22)
        listener(PREFIX + "bastion", edge.name, BASTION_EDGE_IP, 22)
        docker("network", "connect", "--ip", BASTION_NODE_IP, nodes.name, PREFIX + "bastion")
        for container in ("node-1", "bastion"):
            waited = 0
            while not reaches(PREFIX + container, "127.0.0.1", 22):
                assert waited < 60, "%s%s never listened on 22" % (PREFIX, container)
                waited += 1
                time.sleep(0.5)
        yield {"nodes": nodes, "edge": edge}
    finally:
        ids = docker("ps", "-aq", "--filter", "label=esdb.access-e2e=1", check=False).stdout.split()
        if ids:
            docker("rm", "-f", "-v", *ids, check=False)
        for network in made:
            network.remove()


def test_bastion_namespace_reaches_the_bastion_but_no_node(networks):
    with ControllerNamespace(PREFIX + "bastion-ns", networks["edge"], "10.77.1.100") as controller:
        assert controller.connect(BASTION_EDGE_IP, 22) is None
        # The node is up, and the bastion reaches it: only the controller's path is missing.
        assert reaches(PREFIX + "bastion", NODE_IP, 22)
        refused = controller.connect(NODE_IP, 22)
        assert refused is not None and "unreachable" in refused.lower(), refused
        assert [r["dst"] for r in controller.routes()] == ["10.77.1.0/24"]
    assert PREFIX + "bastion-ns" not in namespaces()


def test_direct_namespace_reaches_the_nodes(networks):
    with ControllerNamespace(PREFIX + "direct-ns", networks["nodes"], "10.77.0.100") as controller:
        assert controller.connect(NODE_IP, 22) is None
        assert controller.connect(BASTION_EDGE_IP, 22) is not None
    assert PREFIX + "direct-ns" not in namespaces()


def test_the_namespace_loopback_is_its_own(networks, tmp_path):
    """moto started inside answers on the namespace's 127.0.0.1 whatever runs on the machine's."""
    with ControllerNamespace(PREFIX + "loop-ns", networks["edge"], "10.77.1.101") as controller:
        server = controller.start([sys_venv("moto_server"), "-H", "127.0.0.1", "-p", "4566"],
                                  stdout=open(tmp_path / "moto.log", "wb"), stderr=subprocess.STDOUT)
        probe = "import urllib.request;urllib.request.urlopen('http://127.0.0.1:4566/moto-api/',timeout=2)"
        deadline = 60
        while deadline and controller.run(["python3", "-c", probe]).returncode != 0:
            assert server.poll() is None, (tmp_path / "moto.log").read_text()
            deadline -= 1
            time.sleep(0.5)
        assert deadline, (tmp_path / "moto.log").read_text()


def sys_venv(tool):
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        ".venv", "bin", tool)
