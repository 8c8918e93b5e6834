# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # How modules reach an EventStoreDB cluster's HTTP API. The argument spec
    # lives in plugins/module_utils/connection_options.py; keep the two in step.
    DOCUMENTATION = r'''
options:
  nodes:
    description:
      - The nodes of the cluster, each as C(host), C(host:port) or C(https://host:port).
      - The port defaults to 2113. A scheme given here overrides O(scheme) for that node.
      - Each node may be listed once; V(10.0.1.11) and V(https://10.0.1.11:2113) are the same node.
      - Credentials do not belong in an address (C(https://user:password@host) is refused, with the
        password hidden); give them with O(url_username) and O(url_password).
    type: list
    elements: str
    required: true
  expected_size:
    description:
      - Voting size of the cluster (its C(ClusterSize)), from 1 to 1000.
      - Defaults to the number of O(nodes). Set it when O(nodes) lists read-only replicas or only
        some of the nodes.
    type: int
  interval:
    description:
      - Seconds between checks while waiting; more than 0 and at most 86400.
    type: float
    default: 1
  scheme:
    description:
      - Scheme for nodes given without one.
      - EventStoreDB serves HTTPS unless the node runs with C(Insecure=true); a plain HTTP request
        to a TLS node gets an empty reply.
    type: str
    choices: [https, http]
    default: https
  validate_certs:
    description:
      - Verify each node's TLS certificate and host name.
      - Set to V(false) only for test clusters; prefer O(ca_path) with the cluster CA.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the node certificates.
      - When set, only these CAs are trusted. When unset, the system trust store is used.
      - The file is read before any request; one that cannot be read or holds no PEM certificate
        fails the task with a message that names it.
    type: path
  client_cert:
    description:
      - PEM client certificate presented to the nodes, for clusters that ask for one.
      - Must hold a C(-----BEGIN CERTIFICATE-----) block.
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert), when the certificate file does not contain it.
      - Must hold a C(-----BEGIN ... PRIVATE KEY-----) block.
    type: path
  url_username:
    description:
      - User for HTTP basic authentication.
      - Requires O(url_password).
    type: str
  url_password:
    description:
      - Password of O(url_username).
    type: str
  timeout:
    description:
      - Seconds to wait for each node's answer. Nodes are asked in parallel, so a check
        takes about one O(timeout) at most however many nodes do not answer.
      - More than 0 and at most 86400.
    type: float
    default: 5
'''
