# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ec2_instance_type
short_description: The architectures of an EC2 instance type and the availability zones that offer it
version_added: 0.3.0
description:
  - Calls C(ec2:DescribeInstanceTypes) and C(ec2:DescribeInstanceTypeOfferings) (location type
    C(availability-zone)) in one region.
  - An instance type the region does not know returns empty lists rather than failing, so the caller
    can name the variable in its own message.
author:
  - esdb.cluster maintainers (@esdb)
requirements:
  - boto3
  - botocore
options:
  _terms:
    description: The instance type, for example C(t3.small).
    required: true
    type: list
    elements: str
  region:
    description: The AWS region.
    type: str
    required: true
  endpoint_url:
    description: An AWS-compatible endpoint, for emulators only.
    type: str
  profile:
    description: An AWS profile from the shared configuration files.
    type: str
  access_key:
    description: An AWS access key id.
    type: str
  secret_key:
    description: The AWS secret access key.
    type: str
  session_token:
    description: An AWS session token.
    type: str
"""

EXAMPLES = r"""
- name: Zones offering t3.small
  ansible.builtin.debug:
    msg: "{{ lookup('esdb.cluster.ec2_instance_type', 't3.small', region='eu-west-1').zones }}"
"""

RETURN = r"""
_raw:
  description: One mapping per term.
  type: list
  elements: dict
  contains:
    architectures:
      description: The supported architectures, such as C(x86_64) or C(arm64).
      type: list
      elements: str
    zones:
      description: The availability zones that offer the type, sorted.
      type: list
      elements: str
"""

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

CREDENTIAL_OPTIONS = {"profile": "profile_name", "access_key": "aws_access_key_id",
                      "secret_key": "aws_secret_access_key", "session_token": "aws_session_token"}


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            import boto3
            import botocore.exceptions
            from botocore.config import Config
        except ImportError:
            raise AnsibleError("esdb.cluster.ec2_instance_type needs boto3 on the controller: pip install boto3")
        region = self.get_option("region")
        credentials = dict((arg, self.get_option(opt)) for opt, arg in CREDENTIAL_OPTIONS.items()
                           if self.get_option(opt))
        try:
            client = boto3.session.Session(**credentials).client(
                "ec2", region_name=region, endpoint_url=self.get_option("endpoint_url") or None,
                config=Config(connect_timeout=10, read_timeout=30, retries={"mode": "standard", "max_attempts": 3}))
            return [self._describe(client, str(term)) for term in terms]
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise AnsibleError("Cannot describe EC2 instance types in region %s: %s" % (region, error))

    @staticmethod
    def _describe(client, instance_type):
        import botocore.exceptions

        try:
            types = client.describe_instance_types(InstanceTypes=[instance_type])["InstanceTypes"]
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") == "InvalidInstanceType":
                return {"architectures": [], "zones": []}
            raise
        architectures = types[0]["ProcessorInfo"]["SupportedArchitectures"] if types else []
        zones = set()
        paginator = client.get_paginator("describe_instance_type_offerings")
        for page in paginator.paginate(LocationType="availability-zone",
                                       Filters=[{"Name": "instance-type", "Values": [instance_type]}]):
            zones.update(offer["Location"] for offer in page["InstanceTypeOfferings"])
        return {"architectures": architectures, "zones": sorted(zones)}
