"""Test certificates for the emulator, made with the `cryptography` package (the emulator itself has none)."""
import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NODE_CN = "eventstoredb-node"
IPS = ["127.0.10.%d" % n for n in range(1, 10)]


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path, key, pkcs8=False):
    fmt = serialization.PrivateFormat.PKCS8 if pkcs8 else serialization.PrivateFormat.TraditionalOpenSSL
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()))
    path.chmod(0o600)


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


class Authority:
    def __init__(self, directory, common_name):
        self.key = _key()
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.directory = directory
        directory.mkdir()
        (directory / "ca.crt").write_bytes(_pem(self.cert))

    def issue(self, path_stem, common_name, ips, pkcs8=False):
        """Write <stem>.crt and <stem>.key; return their paths."""
        key = _key()
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips] + [x509.DNSName("localhost")]),
                    critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .sign(self.key, hashes.SHA256()))
        crt, key_path = path_stem.with_suffix(".crt"), path_stem.with_suffix(".key")
        crt.write_bytes(_pem(cert))
        _write_key(key_path, key, pkcs8)
        return crt, key_path


class Pki:
    def __init__(self, root):
        self.root = root
        self.ca = Authority(root / "ca", "esdb.cluster test CA")
        self.other_ca = Authority(root / "other-ca", "esdb.cluster other CA")
        self.nodes = {ip: self.ca.issue(root / ("node-" + ip.replace(".", "_")), NODE_CN, [ip]) for ip in IPS}
        self.ca_file = str(self.ca.directory / "ca.crt")

    def special(self, name, ip):
        """Certificates that must be refused: wrong CA, wrong CN, SAN mismatch, PKCS#8 key."""
        stem = self.root / ("%s-%s" % (name, ip.replace(".", "_")))
        if name == "other-ca":
            return self.other_ca.issue(stem, NODE_CN, [ip])
        if name == "wrong-cn":
            return self.ca.issue(stem, "not-a-node", [ip])
        if name == "wrong-san":
            return self.ca.issue(stem, NODE_CN, ["127.0.99.99"])
        if name == "pkcs8":
            return self.ca.issue(stem, NODE_CN, [ip], pkcs8=True)
        raise ValueError(name)
