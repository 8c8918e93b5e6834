"""Node addresses and the open_url options built from the connection options."""

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import (
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
