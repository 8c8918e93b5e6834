"""A local moto EC2 endpoint for tests: nothing ever reaches real AWS.

Every environment built here points boto3 at 127.0.0.1 with dummy keys and
switches off config files and the instance metadata service, so a missing
endpoint_url fails loudly instead of escaping to the internet.
"""

import logging
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

import boto3
from moto.server import ThreadedMotoServer

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = REPO_ROOT / ".venv" / "bin"
COLLECTIONS_PATH = REPO_ROOT / ".collections"

DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}
# Variables that could point boto3 somewhere else than the local endpoint.
LEAKY_AWS_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2",
                 "AWS_URL", "EC2_URL", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoEndpoint:
    """A ThreadedMotoServer on a free loopback port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def __enter__(self):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        return self

    def __exit__(self, *exc):
        self._server.stop()

    def ec2(self, region):
        return boto3.client("ec2", region_name=region, endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


def ansible_env(extra=None):
    """The environment for ansible commands: dummy AWS credentials, no config files."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY_AWS_ENV}
    env.update(DUMMY_AWS_ENV)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    env.update(extra or {})
    return env


class Result(NamedTuple):
    rc: int
    out: str  # stdout then stderr
    seconds: float


def run(args, env=None, cwd=REPO_ROOT, timeout=600):
    """Run a command to completion and return its Result."""
    started = time.monotonic()
    proc = subprocess.run(args, cwd=cwd, env=env or ansible_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)
    return Result(proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started)


def json_document(output):
    """The first JSON document in a command's output (warnings may follow it)."""
    import json

    return json.JSONDecoder().raw_decode(output[output.index("{"):])[0]


def write_plugin_config(directory, **options):
    """Write an esdb.cluster.ec2_nodes config file; return its path."""
    import yaml

    path = Path(directory) / "test.ec2_nodes.yml"
    path.write_text(yaml.safe_dump({"plugin": "esdb.cluster.ec2_nodes", **options}))
    return path
