# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options every module of the collection takes to reach the cluster, and their checks.

One argument spec and one check, so the modules take and refuse the same values in the same
words. Mirrors plugins/doc_fragments/connection.py; keep the two in step. Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import ssl

from ansible_collections.esdb.cluster.plugins.module_utils.leader_handover import unknown_node_error
from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import (
    SCHEMES,
    NodeAddressError,
    parse_node_address,
    parse_node_addresses,
)

REQUIRED_TOGETHER = [('url_username', 'url_password')]
REQUIRED_BY = {'client_key': 'client_cert'}
# Longer than any wait that makes sense, short enough for socket and thread timeouts.
MAX_SECONDS = 86400
MAX_CLUSTER_SIZE = 1000
# What each PEM option must hold: the text that ends its BEGIN line, and what it is.
PEM_CONTENT = {
    'ca_path': (b'CERTIFICATE-----', 'CA certificate'),
    'client_cert': (b'CERTIFICATE-----', 'certificate'),
    'client_key': (b'PRIVATE KEY-----', 'private key'),
}
MAX_PEM_BYTES = 1024 * 1024


def connection_argument_spec(**module_options):
    """The shared options, plus the module's own (which win on a clash)."""
    spec = dict(
        nodes=dict(type='list', elements='str', required=True),
        expected_size=dict(type='int'),
        interval=dict(type='float', default=1.0),
        scheme=dict(type='str', default='https', choices=list(SCHEMES)),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        client_cert=dict(type='path'),
        client_key=dict(type='path', no_log=False),
        url_username=dict(type='str'),
        url_password=dict(type='str', no_log=True),
        timeout=dict(type='float', default=5.0),
    )
    spec.update(module_options)
    return spec


def check_connection(params, wait_may_be_zero=True, wait_why=''):
    """(endpoints, errors): the parsed nodes, and one sentence per option value that cannot work.

    wait_timeout is checked when params has it: 0 allowed when wait_may_be_zero, wait_why added
    to its sentence. Every sentence names the option and the value.
    """
    errors = []
    size = params.get('expected_size')
    if size is not None and not 1 <= size <= MAX_CLUSTER_SIZE:
        errors.append('expected_size %s must be from 1 to %d (the ClusterSize of the nodes)'
                      % (size if -10 ** 6 < size < 10 ** 6 else 'of %s digits' % _digits(size), MAX_CLUSTER_SIZE))
    for name in ('timeout', 'interval'):
        errors.append(seconds_problem(name, params[name], False))
    if 'wait_timeout' in params:
        errors.append(seconds_problem('wait_timeout', params['wait_timeout'], wait_may_be_zero, wait_why))
    for name in sorted(PEM_CONTENT):
        if params.get(name):
            errors.append(pem_file_problem(name, params[name]))
    errors = [error for error in errors if error]
    try:
        endpoints = parse_node_addresses(params['nodes'], params['scheme'])
    except NodeAddressError as exc:
        errors.append(str(exc))
        endpoints = []
    return endpoints, errors


def listed_node(params, endpoints):
    """(the endpoint of option node, as nodes lists it when it does, or None; a sentence when node cannot work).

    The one listed in nodes, so that its scheme is the one its gossip is read with.
    """
    try:
        target = parse_node_address(params['node'], params['scheme'])
    except NodeAddressError as exc:
        return None, str(exc)
    if not endpoints:
        return target, None
    unknown = unknown_node_error(target.label, [e.label for e in endpoints])
    if unknown:
        return target, unknown
    return [e for e in endpoints if e.label == target.label][0], None


def seconds_problem(name, value, may_be_zero, why=''):
    """A sentence when value is not a usable number of seconds, else None."""
    least = '0 or more' if may_be_zero else 'more than 0'
    if not math.isfinite(value):
        return '%s %s is not a number of seconds; give a finite number, %s and at most %d%s' % (
            name, value, least, MAX_SECONDS, why)
    if value < 0 or (value == 0 and not may_be_zero) or value > MAX_SECONDS:
        return '%s %g must be %s seconds, and at most %d%s' % (name, value, least, MAX_SECONDS, why)
    return None


def pem_file_problem(name, path):
    """A sentence when the file at path cannot serve as option name's PEM file, else None."""
    marker, what = PEM_CONTENT[name]
    try:
        with open(path, 'rb') as handle:
            content = handle.read(MAX_PEM_BYTES)
    except (OSError, IOError) as exc:
        return '%s %s cannot be read (%s); give the path of a readable PEM file with the %s' % (
            name, path, exc.strerror or exc, what)
    if b'-----BEGIN ' not in content or marker not in content:
        return '%s %s is not a PEM file with a %s (no -----BEGIN ...%s line)' % (
            name, path, what, marker.decode('ascii'))
    if name == 'ca_path':
        return _ca_load_problem(path)
    return None


def _ca_load_problem(path):
    # The PEM markers can be there around text that is not a certificate; load it as open_url will.
    try:
        ssl.create_default_context(cafile=path)
    except (ssl.SSLError, ValueError):
        # ssl's own text ('[X509] PEM lib (_ssl.c:NNNN)') says nothing a user can act on.
        return 'ca_path %s has a CERTIFICATE block that is not a valid certificate; give the cluster CA certificate in PEM' % path
    return None


def _digits(number):
    # str() of an int longer than 4300 digits raises on Python 3.11+; count without it.
    return int(math.log10(abs(number))) + 1
