"""certificate_check: what 22.10 would refuse in a user's own CA, node certificate and key."""

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.esdb.cluster.plugins.plugin_utils.certificate_check import certificate_problems

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, key, signer, ca=False, ips=(), before=NOW - DAY, after=NOW + 30 * DAY):
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(before).not_valid_after(after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ips:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(i)) for i in ips]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _write(path, data):
    path.write_bytes(data)
    return str(path)


@pytest.fixture(name="pki")
def pki_fixture(tmp_path):
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    node_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def files(key_format=serialization.PrivateFormat.TraditionalOpenSSL, cn="eventstoredb-node", ips=("10.0.1.11",),
              ca=None, after=NOW + 30 * DAY, key=None):
        ca_cert = ca or _cert("Test CA", "Test CA", ca_key, ca_key, ca=True)
        cert = _cert(cn, "Test CA", node_key, ca_key, ips=ips, after=after)
        used_key = key or node_key
        pem = used_key.private_bytes(serialization.Encoding.PEM, key_format, serialization.NoEncryption())
        return (_write(tmp_path / "node.crt", cert.public_bytes(serialization.Encoding.PEM)),
                _write(tmp_path / "node.key", pem),
                _write(tmp_path / "ca.crt", ca_cert.public_bytes(serialization.Encoding.PEM)))

    files.ca_key = ca_key
    files.tmp = tmp_path
    return files


def check(files):
    cert, key, ca = files
    return certificate_problems(cert, key, ca, "10.0.1.11", "eventstoredb-node")


def test_good_pkcs1_files_have_no_problem(pki):
    assert check(pki()) == []


def test_pkcs1_body_under_a_pkcs8_label_loads_as_in_22_10(pki):
    cert, key, ca = pki()
    text = open(key).read().replace("RSA PRIVATE KEY", "PRIVATE KEY")
    open(key, "w").write(text)
    assert certificate_problems(cert, key, ca, "10.0.1.11", "eventstoredb-node") == []


def test_pkcs8_key_is_refused_with_the_conversion(pki):
    cert, key, ca = pki(key_format=serialization.PrivateFormat.PKCS8)
    assert check((cert, key, ca)) == [
        '%s is a PKCS#8 key; EventStoreDB 22.10 reads only PKCS#1 ("BEGIN RSA PRIVATE KEY"). Convert it: openssl pkey '
        '-in KEY -traditional -out KEY.pkcs1 (OpenSSL 3) or openssl rsa -in KEY -out KEY.pkcs1.' % key]


def test_non_rsa_key_is_refused(pki):
    cert, key, ca = pki(key=ec.generate_private_key(ec.SECP256R1()), key_format=serialization.PrivateFormat.PKCS8)
    assert check((cert, key, ca)) == ['%s is not an RSA key; EventStoreDB 22.10 needs an RSA key in PKCS#1 form.' % key]


def test_ca_that_is_not_self_signed_is_refused(pki):
    root = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    intermediate = _cert("Test CA", "Root CA", pki.ca_key, root, ca=True)
    cert, key, ca = pki(ca=intermediate)
    assert check((cert, key, ca)) == [
        '%s is not self-signed; EventStoreDB 22.10 trusts only self-signed roots. Give the root CA as '
        'eventstore_ca_cert.' % ca]


def test_certificate_from_another_ca_is_refused(pki):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert, key, ca = pki(ca=_cert("Test CA", "Test CA", other, other, ca=True))
    assert check((cert, key, ca)) == ['%s was not issued by %s; reissue it from that CA.' % (cert, ca)]


def test_expired_certificate_is_refused(pki):
    cert, key, ca = pki(after=NOW - DAY / 2)
    problems = check((cert, key, ca))
    assert problems == ['%s expired on %s; renew it.' % (cert, (NOW - DAY / 2).date().isoformat())]


def test_wrong_san_and_common_name_are_named(pki):
    cert, key, ca = pki(cn="db1", ips=("10.0.1.99",))
    assert check((cert, key, ca)) == [
        "%s has common name db1, not 'eventstoredb-node' (CertificateReservedNodeCommonName); reissue it or set "
        "eventstore_cert_common_name." % cert,
        '%s does not name the node address 10.0.1.11 (SAN IP addresses: 10.0.1.99); reissue it with IP:10.0.1.11.'
        % cert]


def test_unreadable_and_garbage_files_are_named(pki):
    cert, key, ca = pki()
    open(key, "w").write("-----BEGIN RSA PRIVATE KEY-----\nnot base64!\n-----END RSA PRIVATE KEY-----\n")
    missing = str(pki.tmp / "missing.crt")
    assert certificate_problems(missing, key, ca, "10.0.1.11", "eventstoredb-node") == [
        'eventstore_node_cert_file %s cannot be read (No such file or directory).' % missing,
        '%s is not an unencrypted PEM private key.' % key]


def test_a_node_certificate_needs_its_ca():
    assert certificate_problems("node.crt", "node.key", "", "10.0.1.11", "eventstoredb-node") == [
        'eventstore_node_cert_file node.crt needs eventstore_ca_cert, the CA that issued it, which the nodes trust.']
