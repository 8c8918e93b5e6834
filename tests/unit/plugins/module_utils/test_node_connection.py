"""Node addresses and the open_url options built from the connection options."""

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import (
    embedded_passwords,
    NodeAddressError,
    open_url_options,
    parse_node_address,
    parse_node_addresses,
)


@pytest.mark.parametrize('given, scheme, url, label', [
    ('10.0.1.11', 'https', 'https://10.0.1.11:2113/gossip', '10.0.1.11:2113'),
    ('10.0.1.11:2114', 'https', 'https://10.0.1.11:2114/gossip', '10.0.1.11:2114'),
    ('node1.esdb.internal', 'http', 'http://node1.esdb.internal:2113/gossip', 'node1.esdb.internal:2113'),
    ('https://10.0.1.11:2113', 'http', 'https://10.0.1.11:2113/gossip', '10.0.1.11:2113'),
    ('HTTP://10.0.1.11/', 'https', 'http://10.0.1.11:2113/gossip', '10.0.1.11:2113'),
    ('[fd00::11]:2113', 'https', 'https://[fd00::11]:2113/gossip', '[fd00::11]:2113'),
    ('  10.0.1.11  ', 'https', 'https://10.0.1.11:2113/gossip', '10.0.1.11:2113'),
    ('10.0.1.11:65535', 'https', 'https://10.0.1.11:65535/gossip', '10.0.1.11:65535'),
    ('10.0.1.11:1', 'http', 'http://10.0.1.11:1/gossip', '10.0.1.11:1'),
])
def test_accepted_forms(given, scheme, url, label):
    node = parse_node_address(given, scheme)
    assert (node.url('/gossip'), node.label) == (url, label)


@pytest.mark.parametrize('given, message', [
    ('', "node '' is not an address; write host, host:port or https://host:port"),
    ('10.0.1.11:abc', "node '10.0.1.11:abc' has port 'abc'; the port must be a number from 1 to 65535"),
    ('10.0.1.11:0', "has port '0'"),
    ('10.0.1.11:70000', "has port '70000'"),
    ('10.0.1.11:65536', "node '10.0.1.11:65536' has port '65536'; the port must be a number from 1 to 65535 "
                        "(EventStoreDB's default is 2113)"),
    ('10.0.1.11:', "has port ''"),
    ('ftp://10.0.1.11', "node 'ftp://10.0.1.11' uses scheme 'ftp'; use https:// or http://"),
    ('https://10.0.1.11:2113/gossip', "has a path '/gossip'; give only the node, the module adds /gossip itself"),
    ('a b', 'is not an address'),
    (None, 'node None is not an address'),
])
def test_rejected_forms_name_the_value_and_the_fix(given, message):
    with pytest.raises(NodeAddressError) as caught:
        parse_node_address(given)
    assert message in str(caught.value)


def test_all_bad_nodes_are_reported_together():
    with pytest.raises(NodeAddressError) as caught:
        parse_node_addresses(['10.0.1.11', 'x:1:2', 'ftp://y'])
    assert "'x:1:2'" in str(caught.value) and "'ftp://y'" in str(caught.value)


def test_empty_node_list_is_an_error():
    with pytest.raises(NodeAddressError, match='nodes is empty'):
        parse_node_addresses([])


def test_open_url_options():
    params = dict(timeout=3.0, validate_certs=False, ca_path='/ca.crt', client_cert=None, client_key=None,
                  url_username=None, url_password=None)
    assert open_url_options(params) == dict(
        timeout=3.0, validate_certs=False, ca_path='/ca.crt', client_cert=None, client_key=None,
        headers={'Accept': 'application/json'}, follow_redirects='none')
    params.update(url_username='ops', url_password='changeit')
    with_auth = open_url_options(params)
    assert (with_auth['url_username'], with_auth['url_password'], with_auth['force_basic_auth']) == (
        'ops', 'changeit', True)


@pytest.mark.parametrize('given, message', [
    ('', "node '' is not an address; write host, host:port or https://host:port"),
    ('ftp://h', "node 'ftp://h' uses scheme 'ftp'; use https:// or http://"),
    ('h/x', "node 'h/x' has a path '/x'; give only the node, the module adds /gossip itself"),
    ('h:0', "node 'h:0' has port '0'; the port must be a number from 1 to 65535 (EventStoreDB's default is 2113)"),
])
def test_error_sentences_are_exact(given, message):
    with pytest.raises(NodeAddressError) as caught:
        parse_node_address(given)
    assert str(caught.value) == message


def test_errors_of_several_nodes_are_joined_in_one_sentence():
    with pytest.raises(NodeAddressError) as caught:
        parse_node_addresses(['h:0', 'ftp://h'])
    assert str(caught.value) == (
        "node 'h:0' has port '0'; the port must be a number from 1 to 65535 (EventStoreDB's default is 2113); "
        "node 'ftp://h' uses scheme 'ftp'; use https:// or http://")
    with pytest.raises(NodeAddressError) as caught:
        parse_node_addresses([])
    assert str(caught.value) == 'nodes is empty; list at least one node as host, host:port or https://host:port'


def test_endpoint_keeps_what_the_user_wrote_and_defaults_to_https():
    node = parse_node_addresses([' n1:2114 '])[0]
    assert (node.given, node.scheme, node.host, node.port) == (' n1:2114 ', 'https', 'n1', 2114)
    assert repr(node) == "NodeEndpoint('https://n1:2114')"


def test_client_certificate_options_are_passed_on():
    params = dict(timeout=1.0, validate_certs=True, ca_path=None, client_cert='/c.crt', client_key='/c.key')
    options = open_url_options(params)
    assert (options['client_cert'], options['client_key']) == ('/c.crt', '/c.key')
    assert 'url_username' not in options and 'force_basic_auth' not in options


@pytest.mark.parametrize('nodes, secrets', [
    (['https://ops:s3cret@h', 'http://u:p:q@h2:2113', 'u@h3', 'h4', 5, None], ['s3cret', 'p:q']),
    (['  admin:pw@h  ', 'https://user:@h'], ['pw']),
    (None, []),
])
def test_embedded_passwords_are_found_to_be_hidden(nodes, secrets):
    assert embedded_passwords(nodes) == secrets


@pytest.mark.parametrize('given, message', [
    ('https://u@h', "node 'https://u@h' carries credentials in the address; give only the node and set "
                    "url_username and url_password instead"),
    ('https://u:p:q@h', "node 'https://u:********@h' carries credentials in the address; give only the node and "
                        "set url_username and url_password instead"),
    ('u:@h', "node 'u:********@h' carries credentials in the address; give only the node and "
             "set url_username and url_password instead"),
    ('HTTP://u:p@h:1/x', "node 'HTTP://u:********@h:1/x' carries credentials in the address; give only the node "
                         "and set url_username and url_password instead"),
    ('1.2.3', "node '1.2.3' is neither an IPv4 address nor a host name; write four numbers from 0 to 255 "
              "(quote it in YAML so it stays text)"),
    ('::1', "node '::1' looks like an IPv6 address without brackets; write [address] or https://[address]:2113"),
    ('g:b:c', "node 'g:b:c' has port 'b:c'; the port must be a number from 1 to 65535 (EventStoreDB's default is 2113)"),
    ('-h', "node '-h' has host '-h', which is not a host name (letters, digits, '-', '.')"),
    ('h-', "node 'h-' has host 'h-', which is not a host name (letters, digits, '-', '.')"),
    ('h:123456', "node 'h:123456' has port '123456'; the port must be a number from 1 to 65535 "
                 "(EventStoreDB's default is 2113)"),
])
def test_more_rejected_forms(given, message):
    with pytest.raises(NodeAddressError) as caught:
        parse_node_address(given)
    assert str(caught.value) == message


@pytest.mark.parametrize('given, host', [
    ('a', 'a'), ('_gossip.node-1.internal', '_gossip.node-1.internal'), ('1.2.3.4', '1.2.3.4'),
    ('[::1]', '[::1]'), ('0.0.0.0:1', '0.0.0.0'), ('h:00080', 'h'), ('[::ffff:1.2.3.4]', '[::ffff:1.2.3.4]'),
])
def test_more_accepted_hosts(given, host):
    assert parse_node_address(given).host == host


def test_long_values_are_shown_by_their_start_and_length():
    with pytest.raises(NodeAddressError) as caught:
        parse_node_address('a b' + 'c' * 40)
    assert str(caught.value) == (
        "node %r... (43 characters) is not an address; write host, host:port or https://host:port"
        % ('a b' + 'c' * 37))
    with pytest.raises(NodeAddressError) as caught:
        parse_node_address('a b' + 'c' * 37)
    assert str(caught.value) == (
        "node %r is not an address; write host, host:port or https://host:port" % ('a b' + 'c' * 37))


def test_repeats_are_found_after_normalising_and_every_one_is_named():
    with pytest.raises(NodeAddressError) as caught:
        parse_node_addresses(['h', 'H:2113', 'http://h', 'h:2114'])
    assert str(caught.value) == (
        "node 'H:2113' is the same node as 'h' (H:2113); list each node once; "
        "node 'http://h' is the same node as 'h' (h:2113); list each node once")
    assert [e.label for e in parse_node_addresses(['h', 'h:2114', 'g'])] == ['h:2113', 'h:2114', 'g:2113']
