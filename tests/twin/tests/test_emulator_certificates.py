"""Certificate loading at start-up, exactly as 22.10 does it.

22.10 sources: CertificateUtils.cs l.76-131 (LoadFromFile: with a key file, drop its first and last lines,
base64-decode the rest and ImportRSAPrivateKey it, so the PEM label is never read; the certificate file is a PEM
bundle or anything X509Certificate2 reads, DER included; without a key file, a PKCS #12 bundle opened with
CertificatePassword), OptionsCertificateProvider.cs l.51-78 (roots must be self-signed, bundled intermediates
must not be), Program.cs l.133-158 (the provider is only built, not loaded, before --what-if returns) and
l.219-225 (exit code 1 after the FTL line).
"""
import base64
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import run, wait_for

IP = "127.0.10.5"


def args(tmp_path, cert, key=None, trusted=None, extra=()):
    result = ["--int-ip", IP, "--ext-ip", IP, "--db", str(tmp_path / "db"), "--log", str(tmp_path / "log"),
              "--cluster-size", "1", "--discover-via-dns", "false", "--certificate-file", str(cert)]
    if key is not None:
        result += ["--certificate-private-key-file", str(key)]
    return result + ["--trusted-root-certificates-path", str(trusted)] + list(extra)


def node_files(pki):
    crt, key = pki.nodes[IP]
    private = serialization.load_pem_private_key(key.read_bytes(), None)
    return crt, key, private, x509.load_pem_x509_certificate(crt.read_bytes())


def starts(emulators, settings, pki):
    node = emulators.node(IP, dict(settings, ClusterSize=1, DiscoverViaDns=False,
                                   TrustedRootCertificatesPath=str(pki.ca.directory)), pki.ca_file).start()
    wait_for(lambda: node.state() == "Leader", what="the node to start and lead over TLS")
    assert "All certificates successfully loaded." in node.log()
    return node


def refused(result, *lines):
    assert result.returncode == 1, result.stdout[-2000:]
    for line in lines:
        assert line in result.stdout, line
    assert "All certificates successfully loaded." not in result.stdout


def test_a_pkcs1_body_loads_under_any_label(emulators, pki, tmp_path):
    _crt, key, _private, _cert = node_files(pki)
    relabelled = tmp_path / "relabelled.key"
    relabelled.write_text(key.read_text().replace("RSA PRIVATE KEY", "PRIVATE KEY"))
    starts(emulators, {"CertificateFile": str(pki.nodes[IP][0]), "CertificatePrivateKeyFile": str(relabelled)},
           pki)


def test_a_pkcs8_body_is_refused_whatever_its_label(tmp_path, pki):
    crt, _key, private, _cert = node_files(pki)
    body = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    for label in ("PRIVATE KEY", "RSA PRIVATE KEY"):
        key = tmp_path / ("pkcs8-%s.key" % label.replace(" ", "-"))
        key.write_text(body.replace("PRIVATE KEY", label))
        refused(run(args(tmp_path, crt, key, pki.ca.directory)), "FTL] Host terminated unexpectedly.",
                "System.Security.Cryptography.CryptographicException: ASN1 corrupted data.")


def test_a_key_file_ending_in_a_blank_line_is_not_base64(tmp_path, pki):
    crt, key, _private, _cert = node_files(pki)
    padded = tmp_path / "padded.key"
    padded.write_text(key.read_text() + "\n")
    refused(run(args(tmp_path, crt, padded, pki.ca.directory)), "FTL] Host terminated unexpectedly.",
            "System.FormatException: The input is not a valid Base-64 string")


def test_a_der_certificate_loads(emulators, pki, tmp_path):
    _crt, key, _private, cert = node_files(pki)
    der = tmp_path / "node.der"
    der.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    starts(emulators, {"CertificateFile": str(der), "CertificatePrivateKeyFile": str(key)}, pki)


def test_pkcs12_bundles_load_with_and_without_a_password(emulators, pki, tmp_path):
    _crt, _key, private, cert = node_files(pki)
    plain = tmp_path / "plain.p12"
    plain.write_bytes(pkcs12.serialize_key_and_certificates(b"node", private, cert, None,
                                                            serialization.NoEncryption()))
    node = starts(emulators, {"CertificateFile": str(plain)}, pki)
    node.kill()
    locked = tmp_path / "locked.p12"
    locked.write_bytes(pkcs12.serialize_key_and_certificates(
        b"node", private, cert, None, serialization.BestAvailableEncryption(b"s3cret")))
    starts(emulators, {"CertificateFile": str(locked), "CertificatePassword": "s3cret"}, pki)


def test_a_pkcs12_bundle_with_the_wrong_password_is_refused(tmp_path, pki):
    _crt, _key, private, cert = node_files(pki)
    locked = tmp_path / "locked.p12"
    locked.write_bytes(pkcs12.serialize_key_and_certificates(
        b"node", private, cert, None, serialization.BestAvailableEncryption(b"s3cret")))
    result = run(args(tmp_path, locked, None, pki.ca.directory, ["--certificate-password", "wrong"]))
    refused(result, "FTL] Host terminated unexpectedly.",
            "The certificate data cannot be read with the provided password, the password may be incorrect.")


def test_a_pem_certificate_without_a_key_file_is_refused(tmp_path, pki):
    crt, _key, _private, _cert = node_files(pki)
    refused(run(args(tmp_path, crt, None, pki.ca.directory)), "FTL] Host terminated unexpectedly.",
            "NoCertificatePrivateKeyException")


def test_a_trusted_root_that_is_not_self_signed_is_refused(tmp_path, pki):
    crt, key, _private, _cert = node_files(pki)
    now = datetime.datetime.now(datetime.timezone.utc)
    inter_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "intermediate, not a root")])
    inter = (x509.CertificateBuilder().subject_name(name).issuer_name(pki.ca.cert.subject)
             .public_key(inter_key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=9))
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .sign(pki.ca.key, hashes.SHA256()))
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "ca.crt").write_bytes(pki.ca.cert.public_bytes(serialization.Encoding.PEM))
    (trusted / "inter.crt").write_bytes(inter.public_bytes(serialization.Encoding.PEM))
    thumb = base64.b16encode(inter.fingerprint(hashes.SHA1())).decode()
    refused(run(args(tmp_path, crt, key, trusted)),
            "ERR] Certificate with thumbprint '%s' does not appear to be a valid root certificate since it is not "
            "self-signed." % thumb,
            "FTL] Invalid Configuration: Aborting certificate loading due to verification errors.")


def test_what_if_loads_no_certificate(tmp_path, pki):
    garbage = tmp_path / "garbage"
    garbage.write_text("not a certificate\n")
    result = run(args(tmp_path, garbage, garbage, tmp_path / "nowhere", ["--what-if"]))
    assert result.returncode == 0, result.stdout[-2000:]
    assert "Loading the node's certificate" not in result.stdout
