"""docs/iam-policy.json read statically: what each create action may make, and where.

test_provision.py checks the policy against every call the twin runs made; this checks what the call
list cannot show: a create action must not be allowed on the resource type it creates unless the request
tags it for a cluster or a bastion, or a user holding the policy could make untagged resources that no
destructive statement would then let them remove, and that teardown would never find.
"""
import fnmatch
import json
from pathlib import Path

import pytest

POLICY = json.loads((Path(__file__).resolve().parents[2] / "docs" / "iam-policy.json").read_text())
CREATED = {  # action -> the ARN type it creates (the AWS Service Authorization Reference, Amazon EC2)
    "ec2:RunInstances": ["instance", "volume"],
    "ec2:CreateSecurityGroup": ["security-group"],
    "ec2:CreateNetworkInterface": ["network-interface"],
    "ec2:CreateVolume": ["volume"],
    "ec2:CreateSnapshot": ["snapshot"],
}
TAGS = ("aws:RequestTag/eventstore_cluster", "aws:RequestTag/eventstore_bastion")


def _list(value):
    return [value] if isinstance(value, str) else value


def grants(action, arn_type):
    """The Allow statements that let `action` act on a resource of `arn_type`."""
    account = "" if arn_type == "image" else "123456789012"  # public images have no account in their ARN
    arn = "arn:aws:ec2:eu-west-1:%s:%s/x-0123" % (account, arn_type)
    return [s for s in POLICY["Statement"] if s["Effect"] == "Allow"
            and any(fnmatch.fnmatch(action, a) for a in _list(s["Action"]))
            and any(fnmatch.fnmatch(arn, r) for r in _list(s["Resource"]))]


def requires_tag(statement):
    return any(key in TAGS for operator in statement.get("Condition", {}).values() for key in operator)


@pytest.mark.parametrize("action,arn_type", [(a, t) for a, types in CREATED.items() for t in types])
def test_a_create_action_makes_only_tagged_resources(action, arn_type):
    statements = grants(action, arn_type)
    assert statements, "%s is not allowed to create a %s at all" % (action, arn_type)
    untagged = [s["Sid"] for s in statements if not requires_tag(s)]
    assert untagged == [], "%s may create an untagged %s through %s" % (action, arn_type, untagged)


@pytest.mark.parametrize("action,arn_type", [
    ("ec2:RunInstances", "subnet"), ("ec2:RunInstances", "security-group"), ("ec2:RunInstances", "image"),
    ("ec2:RunInstances", "network-interface"), ("ec2:CreateNetworkInterface", "subnet"),
    ("ec2:CreateNetworkInterface", "security-group"), ("ec2:CreateSecurityGroup", "vpc"),
    ("ec2:CreateSnapshot", "volume"),
])
def test_a_create_action_may_use_the_existing_resources_it_needs(action, arn_type):
    assert grants(action, arn_type), "%s cannot use an existing %s" % (action, arn_type)


def test_only_the_clusters_own_volumes_are_snapshotted():
    statements = grants("ec2:CreateSnapshot", "volume")
    assert statements
    for statement in statements:
        keys = [key for operator in statement.get("Condition", {}).values() for key in operator]
        assert "aws:ResourceTag/eventstore_cluster" in keys, statement["Sid"]


def test_no_statement_allows_every_resource_for_a_create_or_destructive_action():
    for statement in POLICY["Statement"]:
        if statement["Resource"] == "*" and not statement.get("Condition"):
            assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in _list(statement["Action"])), \
                statement["Sid"]
