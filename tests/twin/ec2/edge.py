"""The outside of the twin's VPC, where a laptop stands: an edge network, a jump host, a controller namespace.

Test infrastructure only. `ec2twin up --edge CIDR` builds, on the Docker network NAME-edge:
- the gateway address (.1) answers the EC2 API: moto listens there, as AWS's endpoint is on the internet;
- the jump host NAME-bastion (.10), a twin instance with sshd and the admin's key, with a second address on
  the nodes' network, like a bastion in a public subnet;
- the network namespace NAME-ctl (.100), from which `ec2twin exec` runs the controller: it reaches the
  gateway and the jump host, and no node (controller_netns.py).
The admin's key pair is made once under .cache/twin/ssh and imported into moto, as a user imports theirs.
"""
import ipaddress
import os
import subprocess

from controller_netns import ControllerNamespace, DockerNetwork, namespaces
from instance_sync import forget_host_keys, start_jump_host
from twin_state import STATE_DIR

KEY_FILE = os.path.join(STATE_DIR, "ssh", "id_ed25519")
LABEL = "esdb.twin.edge"


def addresses(edge_cidr):
    """{gateway, bastion, controller} addresses of the edge network."""
    network = ipaddress.ip_network(edge_cidr)
    return {"gateway": str(network[1]), "bastion": str(network[10]), "controller": str(network[100])}


def names(nodes_network):
    return {"edge": nodes_network + "-edge", "bastion": nodes_network + "-bastion", "namespace": nodes_network + "-ctl"}


def ensure_key():
    """The admin's SSH key (made once); returns the public key line."""
    if not os.path.exists(KEY_FILE):
        os.makedirs(os.path.dirname(KEY_FILE), mode=0o700, exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "esdb-twin-admin", "-f", KEY_FILE],
                       check=True, capture_output=True)
    with open(KEY_FILE + ".pub", encoding="utf-8") as handle:
        return handle.read().strip()


def ensure_key_pair(ec2, key_name, public_key):
    if not ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": [key_name]}])["KeyPairs"]:
        ec2.import_key_pair(KeyName=key_name, PublicKeyMaterial=public_key.encode())


def ensure_edge_network(nodes_network, edge_cidr):
    edge = DockerNetwork(names(nodes_network)["edge"], edge_cidr)
    if not edge.exists():
        edge.create()
    return edge


def _running(container):
    result = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", container], capture_output=True,
                            text=True, check=False)
    return result.stdout.strip() == "true"


def ensure_bastion(nodes_network, edge_cidr, image, public_key, nodes_ip):
    """The jump host, created once: on the edge network, and on the nodes' network at nodes_ip."""
    name, address = names(nodes_network)["bastion"], addresses(edge_cidr)["bastion"]
    if _running(name):
        return name
    subprocess.run(["docker", "rm", "-f", "-v", name], check=False, capture_output=True)
    # A new jump host at an old address has new host keys, which the SSH hop would refuse as changed.
    forget_host_keys([address])
    start_jump_host(name, LABEL + "=" + nodes_network, (names(nodes_network)["edge"], address),
                    (nodes_network, nodes_ip), image, public_key)
    return name


def controller(nodes_network, edge_cidr):
    return ControllerNamespace(names(nodes_network)["namespace"], DockerNetwork(names(nodes_network)["edge"], edge_cidr),
                               addresses(edge_cidr)["controller"])


def ensure_controller(nodes_network, edge_cidr):
    namespace = controller(nodes_network, edge_cidr)
    if namespace.name not in namespaces():
        namespace.open()
    return namespace.name


def remove(nodes_network, edge_cidr):
    """Everything ensure_* made, in reverse."""
    controller(nodes_network, edge_cidr).close()
    subprocess.run(["docker", "rm", "-f", "-v", names(nodes_network)["bastion"]], check=False, capture_output=True)
    DockerNetwork(names(nodes_network)["edge"], edge_cidr).remove()
    forget_host_keys([addresses(edge_cidr)["bastion"]])
