# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How to reach an EventStoreDB node over HTTP(S): addresses, and the open_url options.

Pure functions and plain data; no Ansible module objects, so the role and
other modules can reuse them and unit tests can call them directly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

DEFAULT_HTTP_PORT = 2113
SCHEMES = ('https', 'http')
HIDDEN = '********'

_ADDRESS = re.compile(
    r'^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?'
    r'(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/\[\]\s]+)'
    r'(?::(?P<port>[^/]*))?'
    r'(?P<path>/.*)?$'
)
# user[:password]@ before the host; the password must never reach a message or the result.
_USERINFO = re.compile(r'^(?P<head>(?:[A-Za-z][A-Za-z0-9+.-]*://)?)(?P<user>[^@/]*)@')
_PORT = re.compile(r'^[0-9]{1,5}$')
_HOST_NAME = re.compile(r'^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$')
_ONLY_DIGITS_AND_DOTS = re.compile(r'^[0-9.]+$')
_BARE_IPV6 = re.compile(r'^[0-9A-Fa-f:.]+$')


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


def embedded_passwords(nodes):
    """Passwords written into node addresses (scheme://user:password@host), to be hidden from output."""
    found = []
    for given in nodes or []:
        match = _USERINFO.match(given.strip()) if isinstance(given, str) else None
        if match and ':' in match.group('user'):
            found.append(match.group('user').split(':', 1)[1])
    return [secret for secret in found if secret]


def parse_node_address(given, default_scheme='https'):
    """Turn 'host', 'host:port' or 'scheme://host:port' into a NodeEndpoint.

    Raises NodeAddressError naming the offending value and the accepted forms.
    """
    text = given.strip() if isinstance(given, str) else ''
    credentials = _USERINFO.match(text)
    if credentials:
        user, colon, _password = credentials.group('user').partition(':')
        shown = credentials.group('head') + user + (colon and colon + HIDDEN) + '@' + text[credentials.end():]
        raise NodeAddressError(
            "node %r carries credentials in the address; give only the node and set url_username and "
            "url_password instead" % shown)
    if text.count(':') >= 2 and _BARE_IPV6.match(text):
        raise NodeAddressError(
            "node %r looks like an IPv6 address without brackets; write [address] or "
            "https://[address]:2113" % (given,))
    match = _ADDRESS.match(text)
    if not text or not match:
        raise NodeAddressError(
            "node %s is not an address; write host, host:port or https://host:port" % _shown(given))
    scheme = (match.group('scheme') or default_scheme).lower()
    if scheme not in SCHEMES:
        raise NodeAddressError(
            "node %r uses scheme %r; use https:// or http://" % (given, match.group('scheme')))
    if match.group('path') not in (None, '/'):
        raise NodeAddressError(
            "node %r has a path %r; give only the node, the module adds /gossip itself"
            % (given, match.group('path')))
    _check_host(given, match.group('host'))
    port = _parse_port(given, match.group('port'))
    return NodeEndpoint(given, scheme, match.group('host'), port)


def _check_host(given, host):
    if host.startswith('['):
        try:
            ipaddress.IPv6Address(host[1:-1])
            return
        except ValueError:
            raise NodeAddressError("node %r has %s, which is not an IPv6 address" % (given, host))
    if _ONLY_DIGITS_AND_DOTS.match(host):
        try:
            ipaddress.IPv4Address(host)
            return
        except ValueError:
            raise NodeAddressError(
                "node %r is neither an IPv4 address nor a host name; write four numbers from 0 to 255 "
                "(quote it in YAML so it stays text)" % (given,))
    if not _HOST_NAME.match(host):
        raise NodeAddressError(
            "node %r has host %r, which is not a host name (letters, digits, '-', '.')" % (given, host))


def _parse_port(given, port_text):
    if port_text is None:
        return DEFAULT_HTTP_PORT
    if not _PORT.match(port_text) or not 0 < int(port_text) < 65536:
        raise NodeAddressError(
            "node %s has port %s; the port must be a number from 1 to 65535 (EventStoreDB's default is %d)"
            % (_shown(given), _shown(port_text), DEFAULT_HTTP_PORT))
    return int(port_text)


def _shown(value, limit=40):
    """repr() of value; a long one by its start and length, so a message stays one readable line."""
    if isinstance(value, str) and len(value) > limit:
        return '%r... (%d characters)' % (value[:limit], len(value))
    return repr(value)


def parse_node_addresses(nodes, default_scheme='https'):
    """Parse every node; collect all bad ones (and repeats) into one error so users fix them in one go."""
    endpoints, errors, seen = [], [], {}
    for given in nodes:
        try:
            endpoint = parse_node_address(given, default_scheme)
        except NodeAddressError as exc:
            errors.append(str(exc))
            continue
        key = (endpoint.host.lower(), endpoint.port)
        if key in seen:
            errors.append("node %r is the same node as %r (%s); list each node once"
                          % (given, seen[key], endpoint.label))
            continue
        seen[key] = given
        endpoints.append(endpoint)
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
