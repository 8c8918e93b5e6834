# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # How modules reach an EventStoreDB node's HTTP API. The argument spec
    # lives in plugins/module_utils/node_connection.py; keep the two in step.
    DOCUMENTATION = r'''
options:
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
    type: path
  client_cert:
    description:
      - PEM client certificate presented to the nodes, for clusters that ask for one.
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert), when the certificate file does not contain it.
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
    type: float
    default: 5
'''
