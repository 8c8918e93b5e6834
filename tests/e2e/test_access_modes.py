"""Access modes in an isolated twin network: the controller in its own network namespace.

Root and Docker only (a network namespace needs root). Everything made here is named esdb-acc-* on
10.77.0.0/24 (nodes) and 10.77.1.0/24 (the bastion's edge network), which the demo (esdb-demo,
10.42.0.0/24), tests/e2e/test_site.py and Molecule (10.42.x.0/24) do not use. `make test` runs it in
its e2e stage; by hand:
  flock /tmp/esdb-docker-e2e.lock .venv/bin/pytest -q tests/e2e/test_access_modes.py
"""
import json
import os
import re
import shutil
import subprocess
import time

import yaml

import pytest

from ansible_collections.esdb.cluster.tests.lib.aws_moto import ansible_env
from ec2.controller_netns import (
    ControllerNamespace, DockerNetwork, namespaces)
from ec2 import instance_sync

if os.geteuid() != 0:
    pytest.skip("the controller's network namespace needs root: run the suite as root", allow_module_level=True)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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
def ssh_key(tmp_path_factory):
    """The admin's key pair: imported into moto, seeded into the bastion, used by Ansible for every hop."""
    key = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


@pytest.fixture(scope="module")
def networks(ssh_key):
    nodes = DockerNetwork(PREFIX + "nodes", "10.77.0.0/24")
    edge = DockerNetwork(PREFIX + "edge", "10.77.1.0/24")
    made = []
    # Host keys of earlier runs' hosts at these addresses (the jump host's hop accepts new keys only).
    instance_sync.forget_host_keys([BASTION_EDGE_IP])
    try:
        for network in (nodes, edge):
            network.create()
            made.append(network)
        listener(PREFIX + "node-1", nodes.name, NODE_IP, 22)
        # The jump host: a twin instance (sshd, user ubuntu with the admin's key).
        instance_sync.start_jump_host(PREFIX + "bastion", "esdb.access-e2e=1", (edge.name, BASTION_EDGE_IP),
                                      (nodes.name, BASTION_NODE_IP), IMAGE, ssh_key.with_suffix(".pub").read_text())
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
        instance_sync.forget_host_keys([BASTION_EDGE_IP])


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
    return os.path.join(ROOT, ".venv", "bin", tool)


# --- site.yml from inside the namespace -------------------------------------------------------------
# The instances are containers on esdb-acc-nodes (the twin's syncer, with this suite's names), reached
# through Docker's socket; moto and the syncer run inside the namespace, so the EC2 API is the
# namespace's own 127.0.0.1:4566. What the namespace cannot reach is every node's address: the
# role's HTTP checks must run on a node for site.yml to finish.
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
SYNC = """
import sys
sys.path.insert(0, sys.argv[1])
import instance_sync
instance_sync.LABEL = 'esdb.access-e2e.instance'
instance_sync.container_name = lambda instance_id: 'esdb-acc-' + instance_id
instance_sync.sync_forever({'endpoint_url': 'http://127.0.0.1:4566', 'region': 'us-east-1',
                            'network': sys.argv[2], 'image': sys.argv[3]})
"""
EC2 = """
import json, sys, boto3
ec2 = boto3.client('ec2', endpoint_url='http://127.0.0.1:4566', region_name='us-east-1',
                   aws_access_key_id='testing', aws_secret_access_key='testing')
if sys.argv[1] == 'subnet':
    vpc = ec2.create_vpc(CidrBlock='10.77.0.0/16')['Vpc']['VpcId']
    # A zone that offers the default instance type (moto places a subnet given none in any zone).
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock='10.77.0.0/24', AvailabilityZone='us-east-1a')['Subnet']['SubnetId']
    # The suite's own hosts (jump host, listener, controller, apt server) keep their addresses.
    for kept in ('10.77.0.0/25', '10.77.0.240/28'):
        ec2.create_subnet_cidr_reservation(SubnetId=subnet, Cidr=kept, ReservationType='explicit')
    # The admin's key pair, imported as a user does before provisioning (docs/aws.md).
    ec2.import_key_pair(KeyName='esdb-acc', PublicKeyMaterial=open(sys.argv[2], 'rb').read())
    print(subnet)
else:
    live = [i['InstanceId'] for r in ec2.describe_instances()['Reservations'] for i in r['Instances']
            if i['State']['Name'] != 'terminated']
    print(json.dumps({'instances': live,
                      'interfaces': [n['NetworkInterfaceId'] for n in ec2.describe_network_interfaces()['NetworkInterfaces']],
                      'volumes': [v['VolumeId'] for v in ec2.describe_volumes()['Volumes']],
                      'groups': [g['GroupName'] for g in ec2.describe_security_groups()['SecurityGroups']
                                 if g['GroupName'] != 'default']}))
"""
CHANGED_PASSWORD = """
import base64, ssl, sys, urllib.request, urllib.error
request = urllib.request.Request('https://%s:2113/users/admin' % sys.argv[1])
request.add_header('Authorization', 'Basic ' + base64.b64encode(b'admin:changeit').decode())
try:
    urllib.request.urlopen(request, context=ssl._create_unverified_context(), timeout=5)
except urllib.error.HTTPError as exc:
    sys.exit(0 if exc.code == 401 else 2)
sys.exit(1)
"""


def recap(output):
    return {host: {"ok": int(ok), "changed": int(changed), "unreachable": int(unr), "failed": int(failed)}
            for host, ok, changed, unr, failed in RECAP.findall(output)}


def write_inventory(directory, subnet_id, apt_base, mode, key):
    (directory / "group_vars").mkdir(parents=True)
    # Nodes are reached over SSH at their private IPs, with inventories/aws's own connection settings
    # (the hop through the bastion among them).
    (directory / "ec2_nodes.yml").write_text(yaml.safe_dump({
        "plugin": "esdb.cluster.ec2_nodes", "regions": ["us-east-1"], "clusters": ["esdb"],
        "endpoint_url": "http://127.0.0.1:4566", "access_key": "testing", "secret_key": "testing",
        "tags_variable": "ec2_tags"}))
    shutil.copy(os.path.join(ROOT, "inventories", "aws", "group_vars", "eventstore.yml"), directory / "group_vars")
    (directory / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}))
    secrets = "{{ lookup('ansible.builtin.password', '%s/%%s', length=24, chars=['ascii_letters', 'digits']) }}" % directory
    (directory / "group_vars" / "all.yml").write_text(yaml.safe_dump({
        "eventstore_cluster_name": "esdb", "eventstore_cluster_size": 3, "aws_region": "us-east-1",
        "aws_endpoint_url": "http://127.0.0.1:4566", "aws_access_key": "testing", "aws_secret_key": "testing",
        "eventstore_ami_id": "ami-12c6146b", "eventstore_vpc_subnet_ids": [subnet_id],
        "eventstore_admin_cidrs": ["10.77.0.0/16"], "eventstore_access_mode": mode,
        "eventstore_bastion_address": BASTION_EDGE_IP, "eventstore_ssh_timeout": 300,
        "eventstore_key_name": "esdb-acc", "ansible_ssh_private_key_file": str(key),
        "eventstore_apt_repo_url": apt_base + "/mirror/eventstore-oss/debian/",
        "eventstore_apt_key_url": apt_base + "/mirror/eventstore-oss/gpgkey",
        "eventstore_admin_password": secrets % "admin_password", "eventstore_ops_password": secrets % "ops_password"}))


@pytest.fixture(scope="module")
def apt_repo(networks):
    result = subprocess.run([os.path.join(ROOT, "tests/twin/twinctl"), "up", "--network", networks["nodes"].name,
                             "--subnet", str(networks["nodes"].subnet)], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    found = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    yield found["APT_BASE_URL"].strip("'")
    subprocess.run([os.path.join(ROOT, "tests/twin/twinctl"), "unserve", "--network", networks["nodes"].name],
                   cwd=ROOT, capture_output=True, check=False)


class Controller:
    """The namespace of one access mode with moto and the syncer inside, and ansible-playbook run there."""

    def __init__(self, namespace, tmp_path):
        self.ns, self.tmp = namespace, tmp_path
        # SSH connection masters of this controller only: another mode's nodes had the same addresses.
        self.env = dict(ansible_env(), ANSIBLE_SSH_CONTROL_PATH_DIR=str(tmp_path / "cp"))

    def python(self, code, *args):
        result = self.ns.run([sys_venv("python"), "-c", code] + list(args), env=self.env)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout.strip()

    def start_twin(self, public_key):
        # moto with the twin's fixes, as `ec2twin up` runs it.
        self.ns.start([sys_venv("python"), os.path.join(ROOT, "tests/twin/ec2/moto_fidelity.py"),
                       "-H", "127.0.0.1", "-p", "4566"],
                      stdout=open(self.tmp / "moto.log", "wb"), stderr=subprocess.STDOUT)
        for _attempt in range(120):
            if self.ns.run(["python3", "-c", "import urllib.request;urllib.request.urlopen("
                            "'http://127.0.0.1:4566/moto-api/',timeout=2)"]).returncode == 0:
                break
            time.sleep(0.5)
        subnet_id = self.python(EC2, "subnet", str(public_key))
        self.ns.start([sys_venv("python"), "-c", SYNC, os.path.join(ROOT, "tests/twin/ec2"), PREFIX + "nodes", IMAGE],
                      stdout=open(self.tmp / "sync.log", "wb"), stderr=subprocess.STDOUT, env=self.env)
        return subnet_id

    def playbook(self, *args):
        result = self.ns.run([sys_venv("ansible-playbook")] + list(args), env=self.env, cwd=ROOT, timeout=1800)
        return result.returncode, result.stdout + result.stderr

    def leftovers(self):
        return json.loads(self.python(EC2, "leftovers"))


@pytest.fixture(params=[("direct", "nodes", "10.77.0.100"), ("bastion", "edge", "10.77.1.100")],
                ids=lambda p: p[0])
def mode_run(request, networks, apt_repo, ssh_key, tmp_path):
    mode, network, address = request.param
    with ControllerNamespace(PREFIX + mode + "-ns", networks[network], address) as namespace:
        controller = Controller(namespace, tmp_path)
        try:
            inventory = tmp_path / "inventory"
            write_inventory(inventory, controller.start_twin(ssh_key.with_suffix(".pub")), apt_repo, mode, ssh_key)
            yield mode, controller, str(inventory)
        finally:
            ids = docker("ps", "-aq", "--filter", "label=esdb.access-e2e.instance", check=False).stdout.split()
            if ids:
                docker("rm", "-f", "-v", *ids, check=False)


def test_site_in_each_mode_ends_ready_reruns_unchanged_and_tears_down_clean(mode_run):
    mode, controller, inventory = mode_run
    rc, output = controller.playbook("site.yml", "-i", inventory)
    assert rc == 0, output[-6000:]
    nodes = [h for h in recap(output) if h != "localhost"]
    assert len(nodes) == 3, recap(output)
    assert re.search(r"esdb://10\.77\.0\.\d+:2113,10\.77\.0\.\d+:2113,10\.77\.0\.\d+:2113\?tls=true", output)
    node_ips = sorted(set(re.findall(r"(10\.77\.0\.\d+):2113", output)))
    if mode == "bastion":
        assert all(controller.ns.connect(ip, 2113) is not None for ip in node_ips), node_ips
    # The default password is refused now, asked from the bastion, which is on the nodes' network.
    assert all(docker("exec", PREFIX + "bastion", "python3", "-c", CHANGED_PASSWORD, ip, check=False).returncode == 0
               for ip in node_ips), node_ips

    rc, output = controller.playbook("site.yml", "-i", inventory)
    assert rc == 0, output[-6000:]
    assert {h: r["changed"] for h, r in recap(output).items() if r["changed"]} == {}, output[-6000:]

    if mode == "bastion":
        # The same verification with its checks on the controller sees no node: the isolation is real.
        rc, output = controller.playbook("playbooks/verify.yml", "-i", inventory, "-e", "eventstore_checks_from=controller",
                                         "-e", "eventstore_wait_timeout=5")
        assert rc != 0 and "-> localhost]" in output, output[-6000:]

    rc, output = controller.playbook("playbooks/teardown.yml", "-i", inventory, "-e", "eventstore_teardown_confirm=esdb")
    assert rc == 0, output[-6000:]
    assert controller.leftovers() == {"instances": [], "interfaces": [], "volumes": [], "groups": []}
    instance_sync.forget_host_keys(node_ips)
