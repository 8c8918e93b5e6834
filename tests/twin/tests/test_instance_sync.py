"""The EC2 twin's syncer (tests/twin/ec2/instance_sync.py) against a fake `docker` on PATH.

The fake keeps containers in a JSON file and can be told to fail the next `docker run` after it
has created the container, as Docker does when runc cannot start it.
"""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ec2"))
import instance_sync  # noqa: E402  pylint: disable=wrong-import-position

FAKE_DOCKER = r'''#!/usr/bin/env python3
import json, os, sys
db = os.environ["FAKE_DOCKER_DB"]
state = json.load(open(db)) if os.path.exists(db) else {"containers": {}, "fail_runs": 0}
args = sys.argv[1:]
if args[0] == "ps":
    for name, c in state["containers"].items():
        print(c["instance"], c["state"])
elif args[0] == "create":
    name = args[args.index("--name") + 1]
    if name in state["containers"]:
        sys.exit("Conflict. The container name %s is already in use" % name)
    label = args[args.index("--label") + 1].split("=", 1)[1]
    state["containers"][name] = {"instance": label, "state": "created", "seed": None}
elif args[0] == "cp":
    source, target = args[1], args[2]
    name, path = target.split(":", 1)
    if state["containers"][name]["state"] != "created":
        sys.exit("the seed must be in place before the container starts")
    state["containers"][name]["seed"] = {path: open(os.path.join(source, "public-keys")).read()}
elif args[0] == "start":
    failing = state["fail_runs"] > 0
    state["fail_runs"] -= failing
    if not failing:
        state["containers"][args[1]]["state"] = "running"
    json.dump(state, open(db, "w"))
    if failing:
        sys.exit("Error response from daemon: failed to create task for container")
elif args[0] == "rm":
    state["containers"].pop(args[-1], None)
json.dump(state, open(db, "w"))
'''


class FakeEc2:
    def __init__(self, instances, key_pairs=None):
        self.instances = instances
        self.key_pairs = key_pairs or {}

    def describe_key_pairs(self, KeyNames, IncludePublicKey):  # pylint: disable=invalid-name
        assert IncludePublicKey is True
        return {"KeyPairs": [{"KeyName": n, "PublicKey": self.key_pairs[n]} for n in KeyNames if n in self.key_pairs]}

    def get_paginator(self, _name):
        instances = self.instances

        class Pages:  # pylint: disable=too-few-public-methods
            @staticmethod
            def paginate():
                return [{"Reservations": [{"Instances": instances}]}]
        return Pages()


@pytest.fixture
def docker(tmp_path, monkeypatch):
    fake = tmp_path / "docker"
    fake.write_text(FAKE_DOCKER)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path, os.environ["PATH"]))
    monkeypatch.setenv("FAKE_DOCKER_DB", str(tmp_path / "db.json"))

    class Docker:
        @staticmethod
        def fail_next_runs(count):
            (tmp_path / "db.json").write_text(json.dumps({"containers": {}, "fail_runs": count}))

        @staticmethod
        def containers():
            return json.loads((tmp_path / "db.json").read_text())["containers"]

        @staticmethod
        def set_state(name, state):
            db = json.loads((tmp_path / "db.json").read_text())
            db["containers"][name]["state"] = state
            (tmp_path / "db.json").write_text(json.dumps(db))
    return Docker


def instance(instance_id, ip, state="running", key_name=None):
    found = {"InstanceId": instance_id, "PrivateIpAddress": ip, "State": {"Name": state}}
    if key_name:
        found["KeyName"] = key_name
    return found


def test_every_running_instance_gets_one_container(docker):
    docker.fail_next_runs(0)
    ec2 = FakeEc2([instance("i-1", "10.0.0.11"), instance("i-2", "10.0.0.12"), instance("i-3", "10.0.0.13", "terminated")])
    instance_sync.sync_once(ec2, "net", "img")
    instance_sync.sync_once(ec2, "net", "img")
    assert {n: c["state"] for n, c in docker.containers().items()} == {
        "esdb-twin-i-1": "running", "esdb-twin-i-2": "running"}


def test_a_container_docker_failed_to_start_is_started_again(docker):
    docker.fail_next_runs(1)
    ec2 = FakeEc2([instance("i-1", "10.0.0.11")])
    with pytest.raises(subprocess.CalledProcessError):
        instance_sync.sync_once(ec2, "net", "img")
    assert docker.containers() == {}, "the half-created container must not count as the instance"
    instance_sync.sync_once(ec2, "net", "img")
    assert docker.containers()["esdb-twin-i-1"]["state"] == "running"


@pytest.mark.parametrize("left_as, then", [
    ("created", "running"),  # Docker made it and never started it: started again
    ("exited", "exited"),  # it ran and stopped: a crashed EC2 host is not rebooted by AWS, nor here
])
def test_only_a_container_that_never_started_is_replaced(docker, left_as, then):
    docker.fail_next_runs(0)
    ec2 = FakeEc2([instance("i-1", "10.0.0.11")])
    instance_sync.sync_once(ec2, "net", "img")
    docker.set_state("esdb-twin-i-1", left_as)
    instance_sync.sync_once(ec2, "net", "img")
    assert docker.containers()["esdb-twin-i-1"]["state"] == then


def test_a_terminated_instance_loses_its_container(docker):
    docker.fail_next_runs(0)
    running = [instance("i-1", "10.0.0.11")]
    instance_sync.sync_once(FakeEc2(running), "net", "img")
    instance_sync.sync_once(FakeEc2([instance("i-1", "10.0.0.11", "terminated")]), "net", "img")
    assert docker.containers() == {}


def test_the_key_pairs_public_key_is_seeded_before_the_instance_boots(docker):
    docker.fail_next_runs(0)
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm6 admin@laptop"
    ec2 = FakeEc2([instance("i-1", "10.0.0.11", key_name="admin"), instance("i-2", "10.0.0.12")], {"admin": key})
    instance_sync.sync_once(ec2, "net", "img")
    found = docker.containers()
    # The fake refuses a copy into a started container: the key is there when the instance's boot looks.
    assert found["esdb-twin-i-1"]["seed"] == {instance_sync.SEED_DIR: key + "\n"}
    assert found["esdb-twin-i-1"]["state"] == "running"
    # Launched without a key pair, an instance gets no key, so nobody can log in (as on EC2).
    assert found["esdb-twin-i-2"]["seed"] is None


def test_the_seed_path_is_the_one_the_image_reads():
    from image import instance_login  # pylint: disable=import-outside-toplevel
    assert instance_sync.SEED_DIR == instance_login.SEED_DIR
