"""Benchmark esdb.cluster.ec2_nodes against amazon.aws.aws_ec2 on the same 1,000 EC2 instances.

The instances live in a local moto server (loopback only, dummy credentials), split over two regions.
amazon.aws.aws_ec2 is configured to yield the same hosts: same names (the Name tag), same filter,
the same `eventstore`/`eventstore_<cluster>` groups and the same node IP variable. Each round times
both plugins alternately, so drift on the machine hits both alike. Two measurements per plugin:
  * cli:     wall time of the whole `ansible-inventory --list` command (Python and Ansible start-up included);
  * parse:   time to build the inventory inside a fresh Python process (what the plugin itself costs).
The cache hit uses the jsonfile cache plugin in a temporary directory, filled by one run beforehand.

Usage: PYTHONPATH=.collections .venv/bin/python scripts/bench/bench_inventory.py [--rounds 7] [--instances 1000]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import yaml

try:
    from ansible_collections.esdb.cluster.tests.lib.aws_moto import VENV_BIN, ansible_env, free_port
except ImportError as exc:  # run without the collection on the module path
    sys.exit(f"{exc}: run from the checkout with PYTHONPATH=.collections (`make bootstrap` creates .collections)")

REGIONS = ("eu-west-1", "us-east-1")
PARSE_TIMER = """
import json, sys, time
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
from ansible.inventory.manager import InventoryManager
started = time.perf_counter()
inventory = InventoryManager(loader=DataLoader(), sources=[sys.argv[1]])
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "hosts": sorted(h.name for h in inventory.get_hosts())}))
"""


def start_moto():
    port = free_port()
    server = subprocess.Popen([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    for _attempt in range(100):
        try:
            boto3.client("ec2", region_name=REGIONS[0], endpoint_url=url, aws_access_key_id="testing",
                         aws_secret_access_key="testing").describe_regions()
            return server, url
        except Exception:  # pylint: disable=broad-except  # the server is still starting
            time.sleep(0.1)
    server.kill()
    raise SystemExit("moto_server did not start on %s" % url)


def populate(url, total):
    """`total` tagged nodes, half per region, named <cluster>-<n> as provisioning names them."""
    per_region = total // len(REGIONS)
    for region in REGIONS:
        ec2 = boto3.client("ec2", region_name=region, endpoint_url=url, aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        cluster = "bench-" + region.split("-", maxsplit=1)[0]
        launched = []
        while len(launched) < per_region:
            batch = min(250, per_region - len(launched))
            launched += ec2.run_instances(ImageId="ami-12c6146b", MinCount=batch, MaxCount=batch,
                                          TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                              {"Key": "eventstore_cluster", "Value": cluster}]}])["Instances"]
        for index, instance in enumerate(launched, 1):
            ec2.create_tags(Resources=[instance["InstanceId"]],
                            Tags=[{"Key": "Name", "Value": "%s-%d" % (cluster, index)},
                                  {"Key": "eventstore_node_index", "Value": str(index)}])


def write_configs(directory, url):
    common = {"regions": list(REGIONS), "endpoint_url": url}
    cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile",
             "cache_connection": str(Path(directory) / "cache"), "cache_timeout": 3600}
    configs = {
        "ec2_nodes": ("ours.ec2_nodes.yml", {"plugin": "esdb.cluster.ec2_nodes", **common}),
        "ec2_nodes cache hit": ("cached.ec2_nodes.yml", {"plugin": "esdb.cluster.ec2_nodes", **common, **cache}),
        "aws_ec2": ("theirs.aws_ec2.yml", {
            "plugin": "amazon.aws.aws_ec2", **common,
            "filters": {"tag-key": "eventstore_cluster", "instance-state-name": "running"},
            "hostnames": ["tag:Name"],
            "groups": {"eventstore": True},
            "keyed_groups": [{"key": "tags.eventstore_cluster", "prefix": "eventstore", "separator": "_"}],
            "compose": {"eventstore_node_ip": "private_ip_address", "ansible_host": "private_ip_address"},
        }),
    }
    paths = {}
    for label, (name, body) in configs.items():
        paths[label] = Path(directory) / name
        paths[label].write_text(yaml.safe_dump(body))
    return paths


def cli_seconds(config, env):
    started = time.perf_counter()
    proc = subprocess.run([str(VENV_BIN / "ansible-inventory"), "-i", str(config), "--list"], env=env,
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit("ansible-inventory failed for %s:\n%s" % (config, proc.stderr))
    return elapsed, sorted(json.loads(proc.stdout)["_meta"]["hostvars"])


def parse_seconds(config, env):
    proc = subprocess.run([sys.executable, "-c", PARSE_TIMER, str(config)], env=env, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit("in-process parse failed for %s:\n%s" % (config, proc.stderr))
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["seconds"], result["hosts"]


def measure(configs, env, rounds):
    times = {(label, kind): [] for label in configs for kind in ("cli", "parse")}
    hosts = {}
    for _round in range(rounds):
        for label, config in configs.items():
            for kind, timer in (("cli", cli_seconds), ("parse", parse_seconds)):
                seconds, names = timer(config, env)
                times[(label, kind)].append(seconds)
                hosts.setdefault(label, names)
                if names != hosts[label]:
                    raise SystemExit("%s returned different hosts between runs" % label)
    return times, hosts


def median_ratio(times, label, kind):
    return statistics.median(ours / theirs for ours, theirs in zip(times[(label, kind)], times[("aws_ec2", kind)]))


def report(times, instances, rounds, startup):
    lines = [
        "| plugin | `ansible-inventory --list` wall time (median) | ratio to aws_ec2 | in-process parse (median) | ratio |",
        "|---|---|---|---|---|",
    ]
    for label in ("aws_ec2", "ec2_nodes", "ec2_nodes cache hit"):
        cli = statistics.median(times[(label, "cli")])
        parse = statistics.median(times[(label, "parse")])
        lines.append("| %s | %.2f s | %.3f× | %.3f s | %.3f× |" % (
            label, cli, median_ratio(times, label, "cli"), parse, median_ratio(times, label, "parse")))
    lines.append("")
    lines.append("%d instances in 2 regions of a local moto server, %d alternating rounds, ratios are medians of "
                 "per-round ratios. `ansible-inventory --list` on a static one-host inventory takes %.2f s here: "
                 "that start-up is in every wall time above." % (instances, rounds, startup))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--instances", type=int, default=1000)
    args = parser.parse_args()

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():
        os.environ[name] = value
    env = ansible_env({"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true"})
    server, url = start_moto()
    try:
        started = time.perf_counter()
        populate(url, args.instances)
        print("populated %d instances in %.1f s" % (args.instances, time.perf_counter() - started), file=sys.stderr)
        with tempfile.TemporaryDirectory() as directory:
            configs = write_configs(directory, url)
            cli_seconds(configs["ec2_nodes cache hit"], env)  # fills the cache
            static = Path(directory) / "static.ini"
            static.write_text("localhost\n")
            startup = statistics.median(cli_seconds(static, env)[0] for _run in range(3))
            times, hosts = measure(configs, env, args.rounds)
        if not hosts["ec2_nodes"] == hosts["aws_ec2"] == hosts["ec2_nodes cache hit"]:
            raise SystemExit("the plugins do not yield the same hosts")
        if len(hosts["ec2_nodes"]) != args.instances:
            raise SystemExit("expected %d hosts, got %d" % (args.instances, len(hosts["ec2_nodes"])))
        print(report(times, args.instances, args.rounds, startup))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
