# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How to reach an EventStoreDB node over HTTP(S): options and addresses.

Pure functions and plain data; no Ansible module objects, so the role and
other modules can reuse them and unit tests can call them directly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

DEFAULT_HTTP_PORT = 2113
SCHEMES = ('https', 'http')

# Mirrors plugins/doc_fragments/connection.py; keep the two in step.
CONNECTION_ARGUMENT_SPEC = dict(
    scheme=dict(type='str', default='https', choices=list(SCHEMES)),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    client_cert=dict(type='path'),
    client_key=dict(type='path', no_log=False),
    url_username=dict(type='str'),
    url_password=dict(type='str', no_log=True),
    timeout=dict(type='float', default=5.0),
)

CONNECTION_REQUIRED_TOGETHER = [('url_username', 'url_password')]
CONNECTION_REQUIRED_BY = {'client_key': 'client_cert'}

_ADDRESS = re.compile(
    r'^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?'
    r'(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/\[\]\s]+)'
    r'(?::(?P<port>[^/]*))?'
    r'(?P<path>/.*)?$'
)


class NodeAddressError(ValueError):
    """A node address that cannot be used; the message says why and how to fix it."""


class NodeEndpoint:
    """Where one node's HTTP API lives, and how the user spelled it."""

    def __init__(self, given, scheme, host, port):
        self.given = given
        self.scheme = scheme
        self.host = host
        self.port = port

    @property
    def label(self):
        """host:port as people write it; what problem sentences name."""
        return '%s:%d' % (self.host, self.port)

    @property
    def base_url(self):
        return '%s://%s:%d' % (self.scheme, self.host, self.port)

    def url(self, path):
        return self.base_url + path

    def __repr__(self):
        return 'NodeEndpoint(%r)' % self.base_url


def parse_node_address(given, default_scheme='https'):
    """Turn 'host', 'host:port' or 'scheme://host:port' into a NodeEndpoint.

    Raises NodeAddressError naming the offending value and the accepted forms.
    """
    text = given.strip() if isinstance(given, str) else ''
    match = _ADDRESS.match(text)
    if not text or not match:
        raise NodeAddressError(
            "node %r is not an address; write host, host:port or https://host:port" % (given,))
    scheme = (match.group('scheme') or default_scheme).lower()
    if scheme not in SCHEMES:
        raise NodeAddressError(
            "node %r uses scheme %r; use https:// or http://" % (given, match.group('scheme')))
    if match.group('path') not in (None, '/'):
        raise NodeAddressError(
            "node %r has a path %r; give only the node, the module adds /gossip itself"
            % (given, match.group('path')))
    port = _parse_port(given, match.group('port'))
    return NodeEndpoint(given, scheme, match.group('host'), port)


def _parse_port(given, port_text):
    if port_text is None:
        return DEFAULT_HTTP_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise NodeAddressError(
            "node %r has port %r; the port must be a number from 1 to 65535 (EventStoreDB's default is %d)"
            % (given, port_text, DEFAULT_HTTP_PORT))
    return int(port_text)


def parse_node_addresses(nodes, default_scheme='https'):
    """Parse every node; collect all bad ones into one error so users fix them in one go."""
    endpoints, errors = [], []
    for given in nodes:
        try:
            endpoints.append(parse_node_address(given, default_scheme))
        except NodeAddressError as exc:
            errors.append(str(exc))
    if not endpoints and not errors:
        errors.append('nodes is empty; list at least one node as host, host:port or https://host:port')
    if errors:
        raise NodeAddressError('; '.join(errors))
    return endpoints


def open_url_options(params):
    """Keyword arguments for ansible.module_utils.urls.open_url from the connection options."""
    options = dict(
        timeout=params['timeout'],
        validate_certs=params['validate_certs'],
        ca_path=params.get('ca_path'),
        client_cert=params.get('client_cert'),
        client_key=params.get('client_key'),
        headers={'Accept': 'application/json'},
        follow_redirects='none',
    )
    if params.get('url_username'):
        options.update(
            url_username=params['url_username'],
            url_password=params['url_password'],
            force_basic_auth=True,
        )
    return options
