"""Keeps one Docker container per running moto instance, at the instance's private IP.

This is the twin's "hypervisor": moto owns the EC2 API state, and this loop makes
the data plane follow it, so provisioning and teardown through amazon.aws modules
really start and remove hosts.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

import boto3

LABEL = "esdb.twin.instance"
LIVE_STATES = ("pending", "running")
SYSTEMD_FLAGS = [
    "--cap-add", "SYS_ADMIN", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run", "--tmpfs", "/run/lock", "--security-opt", "seccomp=unconfined",
]
# tests/twin/image/instance_login.py SEED_DIR: where an instance's boot looks for its key pair's public key.
SEED_DIR = "/var/lib/esdb-twin-seed"


def container_name(instance_id):
    return "esdb-twin-" + instance_id


def wanted_instances(ec2):
    wanted = {}
    for page in ec2.get_paginator("describe_instances").paginate():
        for reservation in page["Reservations"]:
            for inst in reservation["Instances"]:
                if inst["State"]["Name"] in LIVE_STATES and inst.get("PrivateIpAddress"):
                    wanted[inst["InstanceId"]] = inst
    return wanted


def present_containers():
    """Instance id -> Docker state ("running", "created", "exited"...) of every twin instance container."""
    out = subprocess.run(["docker", "ps", "-a", "--filter", "label=" + LABEL,
                          "--format", '{{.Label "%s"}} {{.State}}' % LABEL],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split(None, 1) for line in out.splitlines() if line.strip())


def public_key(ec2, inst):
    """The OpenSSH public key of the instance's key pair, or "" when it was launched without one."""
    if not inst.get("KeyName"):
        return ""
    pairs = ec2.describe_key_pairs(KeyNames=[inst["KeyName"]], IncludePublicKey=True)["KeyPairs"]
    return pairs[0].get("PublicKey", "") if pairs else ""


def start_container(inst, network, image, key=""):
    """The instance's container, booted with the key pair's public key seeded where instance-login reads it
    (tests/twin/image/instance_login.py), as EC2 hands it to cloud-init through instance metadata."""
    ip = inst["PrivateIpAddress"]
    name = container_name(inst["InstanceId"])
    cmd = ["docker", "create", "--name", name, "--hostname", "ip-" + ip.replace(".", "-"),
           "--network", network, "--ip", ip, "--label", "%s=%s" % (LABEL, inst["InstanceId"])]
    try:
        subprocess.run(cmd + SYSTEMD_FLAGS + [image, "/sbin/init"], check=True, capture_output=True)
        if key:
            seed_key(name, key)
        subprocess.run(["docker", "start", name], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        # Docker can create the container and then fail to start it. Remove it, so the next
        # pass starts the instance again instead of counting a dead container as present.
        remove_container(inst["InstanceId"])
        raise
    print("started %s at %s" % (name, ip), flush=True)


def seed_key(container, key):
    """Copy `key` (one OpenSSH public key line) into the created, not yet started, container."""
    with tempfile.TemporaryDirectory() as seed:
        with open(os.path.join(seed, "public-keys"), "w", encoding="utf-8") as handle:
            handle.write(key.strip() + "\n")
        subprocess.run(["docker", "cp", seed + "/.", "%s:%s" % (container, SEED_DIR)], check=True, capture_output=True)


def start_jump_host(name, label, edge, nodes, image, key):
    """A jump host: a twin instance (sshd, `ubuntu` with `key`) at edge = (network, ip), the outside of the
    VPC, with a second address nodes = (network, ip) among the instances, as a bastion in a public subnet."""
    subprocess.run(["docker", "create", "--name", name, "--hostname", "bastion", "--label", label,
                    "--network", edge[0], "--ip", edge[1], *SYSTEMD_FLAGS, image, "/sbin/init"],
                   check=True, capture_output=True)
    seed_key(name, key)
    subprocess.run(["docker", "network", "connect", "--ip", nodes[1], nodes[0], name], check=True, capture_output=True)
    subprocess.run(["docker", "start", name], check=True, capture_output=True)


def remove_container(instance_id):
    subprocess.run(["docker", "rm", "-f", "-v", container_name(instance_id)], check=False, capture_output=True)
    print("removed %s" % container_name(instance_id), flush=True)


def forget_host_keys(addresses):
    """Drop these addresses from the user's known_hosts: the twin reuses addresses for new hosts, whose new
    host keys a strict SSH hop (StrictHostKeyChecking=accept-new) would otherwise refuse as changed."""
    known_hosts = os.path.expanduser("~/.ssh/known_hosts")
    if not os.path.exists(known_hosts):
        return
    for address in addresses:
        subprocess.run(["ssh-keygen", "-R", address, "-f", known_hosts], check=False, capture_output=True)


def sync_once(ec2, network, image):
    wanted = wanted_instances(ec2)
    present = present_containers()
    # A container left in "created" never booted: Docker failed it at start. Only that is retried;
    # one that ran and stopped stays stopped, as a crashed EC2 host stays down.
    never_started = {i for i, state in present.items() if state == "created" and i in wanted}
    for instance_id in sorted(never_started):
        remove_container(instance_id)
    for instance_id in sorted(set(wanted) - (set(present) - never_started)):
        start_container(wanted[instance_id], network, image, public_key(ec2, wanted[instance_id]))
    for instance_id in sorted(set(present) - set(wanted)):
        remove_container(instance_id)


def sync_forever(state, interval=0.5):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ec2 = boto3.client("ec2", endpoint_url=state["endpoint_url"], region_name=state["region"],
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    while True:
        try:
            sync_once(ec2, state["network"], state["image"])
        except (subprocess.CalledProcessError, OSError) as exc:  # keep syncing; say why it failed
            print("sync failed: %s" % getattr(exc, "stderr", exc), flush=True)
        except Exception as exc:  # pylint: disable=broad-except  # moto restarting, network blips
            print("sync failed: %r" % exc, flush=True)
        time.sleep(interval)
