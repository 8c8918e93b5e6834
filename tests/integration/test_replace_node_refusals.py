"""playbooks/replace_node.yml refuses, before any change, what is not a replacement of one gone node.

Against a local moto endpoint only: the refusals come before site.yml reaches any host. The replacement
itself runs on the demo cluster in tests/e2e/test_site.py.
"""

import json

import pytest

from ansible_collections.esdb.cluster.tests.lib.aws_moto import MotoEndpoint, run

pytestmark = pytest.mark.slow

REGION = "eu-west-1"


@pytest.fixture
def moto():
    with MotoEndpoint() as endpoint:
        yield endpoint


def launch(ec2, cluster, indexes):
    """Tagged instances as provisioning leaves them: {index: instance id}."""
    launched = {}
    for index in indexes:
        [instance] = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, TagSpecifications=[{
            "ResourceType": "instance", "Tags": [{"Key": "eventstore_cluster", "Value": cluster},
                                                 {"Key": "eventstore_node_index", "Value": str(index)},
                                                 {"Key": "Name", "Value": "%s-%d" % (cluster, index)}]}])["Instances"]
        launched[index] = instance["InstanceId"]
    return launched


def states(ec2):
    return sorted((i["InstanceId"], i["State"]["Name"]) for r in ec2.describe_instances()["Reservations"]
                  for i in r["Instances"])


def replace(moto, node):
    extra = {"aws_region": REGION, "aws_endpoint_url": moto.url, "eventstore_cluster_name": "esdb",
             "eventstore_replace_node": node}
    return run(["ansible-playbook", "-i", "localhost,", "playbooks/replace_node.yml", "-e", json.dumps(extra)])


@pytest.mark.parametrize("node, gone, stopped, expected", [
    ("esdb-2", [], [], "Refusing to replace esdb-2: its instance {2} (running) still exists, with its data."),
    ("esdb-2", [], [2], "Refusing to replace esdb-2: its instance {2} (stopped) still exists, with its data. "
                        "Replacing is for a node whose instance is gone: restart a running node with "
                        "playbooks/restart_node.yml, start a stopped one with site.yml, or terminate the instance first."),
    ("esdb-2", [2, 3], [], "Refusing to replace esdb-2 while esdb-3 is gone too: replace one node at a time"),
    ("esdb-4", [2], [], "eventstore_replace_node must name one node of cluster esdb as esdb-<index>, the index "
                        "from 1 to 3, not 'esdb-4'."),
    ("", [2], [], "eventstore_replace_node must name one node of cluster esdb as esdb-<index>"),
])
def test_replace_node_refuses_before_any_change(moto, node, gone, stopped, expected):
    ec2 = moto.ec2(REGION)
    ids = launch(ec2, "esdb", [1, 2, 3])
    launch(ec2, "orders", [2])  # another cluster's node 2 is no reason to refuse, nor a replacement
    if gone:
        ec2.terminate_instances(InstanceIds=[ids[i] for i in gone])
    if stopped:
        ec2.stop_instances(InstanceIds=[ids[i] for i in stopped])
    before = states(ec2)
    result = replace(moto, node)
    assert result.rc != 0, result.out
    assert "Traceback" not in result.out, result.out
    assert expected.format(*[None] + [ids[i] for i in (1, 2, 3)]) in " ".join(result.out.split()), result.out
    assert states(ec2) == before, "a refused replacement changed the instances"
