# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller-side EC2 queries for the esdb.cluster.ec2_nodes inventory.

One DescribeInstances paginator per region, all regions at once, and every
botocore failure turned into an AnsibleError that names the cause and the fix.
"""

from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleError

from ansible_collections.esdb.cluster.plugins.plugin_utils.ec2_host_records import slim_instance

# boto3 is imported only when EC2 is really queried: a cache hit does without its import time.
HAS_BOTO3 = all(importlib.util.find_spec(name) is not None for name in ("boto3", "botocore"))

DENIED_CODES = ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException")
BAD_CREDENTIAL_CODES = ("AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch",
                        "UnrecognizedClientException", "ExpiredToken", "RequestExpired")
REGION_DISABLED_CODES = ("OptInRequired", "InvalidRegion")
PAGE_SIZE = 1000
CREDENTIAL_HINT = ("set access_key and secret_key (or profile) in the inventory file, export AWS_ACCESS_KEY_ID and "
                   "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or run on a host with an instance role")


class EC2QueryError(AnsibleError):
    """A DescribeInstances failure, already explained for the user."""


def describe_cluster_instances(regions, tag_key, clusters, states, endpoint_url=None, credentials=None,
                               connect_timeout=10, read_timeout=60, max_attempts=3):
    """Return the slimmed instances carrying `tag_key` (limited to `clusters` when given) in every region."""
    from botocore.config import Config

    session = _session(credentials or {})
    # Plain strings: values from the config file carry Ansible data tags, which would bloat the cache.
    # The same region listed twice would list every instance twice.
    regions = list(dict.fromkeys(str(region) for region in regions)) or _default_region(session)
    for region in regions:
        _check_region(session, region)
    config = Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                    retries={"mode": "standard", "max_attempts": max_attempts})
    # Sessions are not thread-safe but clients are: build them here, use them in the pool.
    clients = dict((region, session.client("ec2", region_name=region, endpoint_url=endpoint_url, config=config))
                   for region in regions)
    filters = _filters(tag_key, clusters, states)
    with ThreadPoolExecutor(max_workers=min(len(regions), 16)) as pool:
        futures = [pool.submit(_describe_region, clients[region], region, filters, endpoint_url)
                   for region in regions]
        return [instance for future in futures for instance in future.result()]


def _session(credentials):
    import boto3
    import botocore.exceptions

    try:
        return boto3.session.Session(**dict((k, v) for k, v in credentials.items() if v))
    except botocore.exceptions.ProfileNotFound as error:
        raise EC2QueryError("esdb.cluster.ec2_nodes: %s. Fix the profile option or AWS_PROFILE, or list the profile "
                            "in ~/.aws/config." % error)


def _default_region(session):
    if session.region_name:
        return [session.region_name]
    raise EC2QueryError("esdb.cluster.ec2_nodes: no AWS region given. Set the regions option "
                        "(for example regions: [eu-west-1]) or export AWS_REGION.")


def _check_region(session, region):
    known = set()
    for partition in session.get_available_partitions():
        known.update(session.get_available_regions("ec2", partition_name=partition))
    if region not in known:
        raise EC2QueryError("esdb.cluster.ec2_nodes: unknown AWS region %r in the regions option. Use a region name "
                            "such as eu-west-1 or us-east-1 (if %r is brand new, upgrade botocore)." % (region, region))


def _filters(tag_key, clusters, states):
    filters = [{"Name": "instance-state-name", "Values": list(states)}]
    if clusters:
        filters.append({"Name": "tag:%s" % tag_key, "Values": list(clusters)})
    else:
        filters.append({"Name": "tag-key", "Values": [tag_key]})
    return filters


def _describe_region(client, region, filters, endpoint_url):
    import botocore.exceptions

    try:
        paginator = client.get_paginator("describe_instances")
        pages = paginator.paginate(Filters=filters, PaginationConfig={"PageSize": PAGE_SIZE})
        return [slim_instance(instance, region)
                for page in pages
                for reservation in page.get("Reservations", [])
                for instance in reservation.get("Instances", [])]
    except botocore.exceptions.BotoCoreError as error:
        raise EC2QueryError(explain_botocore_error(error, region, endpoint_url))
    except botocore.exceptions.ClientError as error:
        raise EC2QueryError(explain_client_error(error, region))


def explain_botocore_error(error, region, endpoint_url):
    import botocore.exceptions

    where = "region %s" % region
    if isinstance(error, (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError)):
        return "esdb.cluster.ec2_nodes: no usable AWS credentials for %s (%s): %s." % (where, error, CREDENTIAL_HINT)
    if isinstance(error, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError,
                          botocore.exceptions.ConnectionClosedError, botocore.exceptions.ReadTimeoutError)):
        endpoint = endpoint_url or "the AWS EC2 endpoint"
        return ("esdb.cluster.ec2_nodes: cannot reach %s for %s (%s). Check endpoint_url, the network path "
                "and any proxy settings." % (endpoint, where, error))
    return "esdb.cluster.ec2_nodes: EC2 DescribeInstances failed for %s: %s" % (where, error)


def explain_client_error(error, region):
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", str(error))
    if code in DENIED_CODES:
        return ("esdb.cluster.ec2_nodes: access denied for ec2:DescribeInstances in region %s (%s: %s). Grant the "
                "ec2:DescribeInstances permission to these credentials." % (region, code, message))
    if code in BAD_CREDENTIAL_CODES:
        return ("esdb.cluster.ec2_nodes: AWS rejected the credentials in region %s (%s: %s). Check the keys, "
                "the profile or the session token." % (region, code, message))
    if code in REGION_DISABLED_CODES:
        return ("esdb.cluster.ec2_nodes: region %s is not usable by this account (%s: %s). Enable the region or "
                "remove it from the regions option." % (region, code, message))
    return "esdb.cluster.ec2_nodes: EC2 DescribeInstances failed in region %s (%s: %s)" % (region, code, message)
