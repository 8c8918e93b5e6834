"""A local moto EC2 endpoint for tests: nothing ever reaches real AWS.

Every environment built here points boto3 at 127.0.0.1 with dummy keys and
switches off config files and the instance metadata service, so a missing
endpoint_url fails loudly instead of escaping to the internet.
"""

import base64
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import NamedTuple

import boto3
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = REPO_ROOT / ".venv" / "bin"
# ansible-playbook and friends: .venv's, or another ansible-core release's (scripts/core_matrix.py).
TOOLS_BIN = Path(os.environ.get("ESDB_VENV_BIN") or VENV_BIN)
COLLECTIONS_PATH = REPO_ROOT / ".collections"
# The twin's fixes to moto's EC2, where it differs from EC2 in ways the collection can observe.
MOTO_FIDELITY = REPO_ROOT / "tests" / "twin" / "ec2" / "moto_fidelity.py"

DUMMY_AWS_ENV = {
    # Any request that is not for loopback goes to a closed port instead of the internet.
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
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


# Runs moto in-process so SSM parameters under /aws/service/ (which PutParameter refuses, as AWS does) can be
# seeded as the public ones Canonical publishes.
SEEDED_SERVER = """
import datetime, importlib.util, json, sys, threading
from moto.server import ThreadedMotoServer
from moto.ssm.models import Parameter, ssm_backends

port, seeds = int(sys.argv[1]), json.loads(sys.argv[2])
fidelity = importlib.util.spec_from_file_location("moto_fidelity", sys.argv[3])
module = importlib.util.module_from_spec(fidelity)
fidelity.loader.exec_module(module)
module.apply()
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
server.start()
for region, name, value in seeds:
    ssm_backends["123456789012"][region]._parameters[name].append(Parameter(
        account_id="123456789012", name=name, value=value, parameter_type="String", description=None,
        allowed_pattern=None, keyid=None, last_modified_date=datetime.datetime.now(), version=1, data_type="text"))
threading.Event().wait()
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoEndpoint:
    """A moto_server process on a free loopback port, recording requests on demand.

    The recording shows which EC2 actions the playbooks and the plugin really call, so the
    documented IAM policy can be checked against it.
    """

    TEST_AGENT = "esdb-cluster-test"  # user agent of the tests' own boto3 clients, left out of recordings

    def __init__(self, ssm_parameters=()):
        """ssm_parameters: (region, name, value) triples, seeded as public parameters."""
        self.ssm_parameters = [list(seed) for seed in ssm_parameters]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._workdir = tempfile.TemporaryDirectory(prefix="moto-")
        self._recording = Path(self._workdir.name) / "recording.jsonl"
        self._process = None

    def __enter__(self):
        env = {**os.environ, **DUMMY_AWS_ENV, "MOTO_RECORDER_FILEPATH": str(self._recording)}
        self._process = subprocess.Popen([str(VENV_BIN / "python"), "-c", SEEDED_SERVER, str(self.port),
                                          json.dumps(self.ssm_parameters), str(MOTO_FIDELITY)],
                                         env=env, cwd=self._workdir.name,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/moto-api/", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"moto_server did not start on {self.url}")

    def __exit__(self, *exc):
        self._process.terminate()
        self._process.wait(timeout=30)
        self._workdir.cleanup()

    def ec2(self, region):
        return boto3.client("ec2", region_name=region, endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=Config(user_agent_extra=self.TEST_AGENT))

    def start_recording(self):
        self._recording.unlink(missing_ok=True)
        urllib.request.urlopen(urllib.request.Request(self.url + "/moto-api/recorder/start-recording",
                                                      method="POST"), timeout=10).close()

    def recorded_actions(self):
        """IAM action names (`ec2:RunInstances`) called since start_recording(), except the tests' own."""
        actions = set()
        if not self._recording.exists():
            return actions
        for line in self._recording.read_text().splitlines():
            entry = json.loads(line)
            if self.TEST_AGENT in entry["headers"].get("User-Agent", ""):
                continue
            body = base64.b64decode(entry["body"]).decode() if entry["body_encoded"] else entry["body"]
            # SigV4 credential scope: Credential=<key>/<date>/<region>/<service>/aws4_request
            service = entry["headers"].get("Authorization", "").split("Credential=")[-1].split("/")[3]
            target = entry["headers"].get("X-Amz-Target")  # JSON protocols (SSM): Service.Action
            names = [target.split(".")[-1]] if target else urllib.parse.parse_qs(body).get("Action", [])
            actions.update("%s:%s" % (service, action) for action in names)
        return actions


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
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
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
    return json.JSONDecoder().raw_decode(output[output.index("{"):])[0]


def write_plugin_config(directory, **options):
    """Write an esdb.cluster.ec2_nodes config file; return its path."""
    import yaml

    path = Path(directory) / "test.ec2_nodes.yml"
    path.write_text(yaml.safe_dump({"plugin": "esdb.cluster.ec2_nodes", **options}))
    return path
