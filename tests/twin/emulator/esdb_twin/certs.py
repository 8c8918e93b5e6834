"""Certificates in secure mode: 22.10's start-up loading and chain check, and the TLS contexts for traffic.

Only the standard library is used: certificate fields come from the ssl module's decoder, and the chain is
checked by an in-memory TLS handshake between the node's own certificate and a client trusting only the roots.
"""
import atexit
import base64
import binascii
import hashlib
import os
import re
import shutil
import ssl
import tempfile

from . import asn1, pkcs12

from .errors import host_terminated, invalid_configuration
from .log import LOG, Plain

PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
ROOT_EXTENSIONS = (".crt", ".cert", ".cer", ".pem", ".der")
VERIFY_STATUS = {2: "PartialChain", 9: "NotTimeValid", 10: "NotTimeValid", 7: "NotSignatureValid",
                 18: "UntrustedRoot", 19: "UntrustedRoot", 20: "PartialChain", 21: "PartialChain"}


class Identity:
    """The node's certificate, key and trusted roots, once they passed the start-up checks."""

    def __init__(self, cert_file, key_file, roots, subject, reserved_cn):
        self.cert_file, self.key_file, self.roots = cert_file, key_file, roots
        self.subject, self.reserved_cn = subject, reserved_cn

    def server_context(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        context.verify_mode = ssl.CERT_OPTIONAL
        for pem in self.roots:
            context.load_verify_locations(cadata=pem)
        return context

    def client_context(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_cert_chain(self.cert_file, self.key_file)
        for pem in self.roots:
            context.load_verify_locations(cadata=pem)
        return context

    def is_node(self, peer_cert):
        return bool(peer_cert) and common_name(peer_cert) == self.reserved_cn


def common_name(cert_dict):
    for rdn in cert_dict.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return None


def decode(pem):
    """Fields of one PEM certificate (subject, issuer, subjectAltName, ...)."""
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as handle:
        handle.write(pem)
    try:
        return ssl._ssl._test_decode_cert(handle.name)  # pylint: disable=protected-access
    finally:
        os.unlink(handle.name)


def distinguished_name(fields):
    return ", ".join("%s=%s" % ({"commonName": "CN", "organizationName": "O", "countryName": "C"}.get(k, k), v)
                     for rdn in reversed(fields) for k, v in rdn)


def thumbprint(pem):
    return hashlib.sha1(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()


def _read_text(path, missing_type, missing_message):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise host_terminated(missing_type, missing_message) from None
    except PermissionError:
        raise host_terminated("System.UnauthorizedAccessException",
                              "Access to the path '%s' is denied." % path) from None


def _pem_certs(data):
    text = data.decode("latin-1")
    found = PEM_CERT.findall(text)
    if found:
        return found
    try:
        return [ssl.DER_cert_to_PEM_cert(data)] if data[:1] == b"\x30" else []
    except ValueError:
        return []


def _rsa_pkcs1_body(key_file):
    """22.10's CertificateUtils.LoadFromFile: drop the first and the last line, base64-decode the rest and import
    it as a PKCS#1 RSAPrivateKey. The PEM label is never read, so a PKCS#1 body loads under any label and a
    PKCS#8 body (`BEGIN PRIVATE KEY` as openssl writes it today) does not."""
    data = _read_text(key_file, "System.IO.FileNotFoundException", "Could not find file '%s'." % key_file)
    lines = data.decode("utf-8", "replace").splitlines()
    body = re.sub(r"\s", "", "".join(lines[1:-1]))
    try:
        der = base64.b64decode(body, validate=True)
    except (ValueError, binascii.Error):
        raise host_terminated("System.FormatException", "The input is not a valid Base-64 string as it contains a "
                              "non-base 64 character, more than two padding characters, or an illegal character "
                              "among the padding characters.") from None
    if not asn1.is_rsa_private_key(der):
        raise host_terminated("System.Security.Cryptography.CryptographicException", "ASN1 corrupted data.")
    return der


def load_identity(config):
    """22.10's OptionsCertificateProvider.LoadCertificates: load, check, or raise a StartupFailure."""
    if config.CertificateStoreLocation.strip() or config.CertificateStoreName.strip():
        raise invalid_configuration("Certificate stores are not supported by the esdb.cluster test emulator.")
    cert_file = config.CertificateFile
    if not cert_file or not cert_file.strip():
        raise invalid_configuration("A certificate is required unless insecure mode (--insecure) is set.")
    LOG.info("Loading the node's certificate(s) from file: {path}", path=cert_file)
    key_file = config.CertificatePrivateKeyFile
    if not key_file:
        chain, key_pem = pkcs12.load(cert_file, config.CertificatePassword or "")
    else:
        key_pem = ssl.DER_cert_to_PEM_cert(_rsa_pkcs1_body(key_file)).replace("CERTIFICATE", "RSA PRIVATE KEY")
        chain = _pem_certs(_read_text(cert_file, "System.Security.Cryptography.CryptographicException",
                                      "The system cannot find the file specified."))
    if not chain:
        raise host_terminated("System.Security.Cryptography.CryptographicException",
                              "Cannot find the requested object.")
    leaf = decode(chain[0])
    subject = distinguished_name(leaf["subject"])
    LOG.info("Loading the node's certificate. Subject: {subject}, Previous thumbprint: {previousThumbprint}, "
             "New thumbprint: {newThumbprint}", subject=subject, previousThumbprint=None,
             newThumbprint=thumbprint(chain[0]))
    for pem in chain[1:]:
        LOG.info("Loading intermediate certificate. Subject: {subject}, Thumbprint: {thumbprint}",
                 subject=distinguished_name(decode(pem)["subject"]), thumbprint=thumbprint(pem))
    # What was loaded, in the PEM form OpenSSL takes, in a private directory for the node's lifetime.
    cert_file, key_file = _private_copies(chain, key_pem)
    roots = _load_roots(config.TrustedRootCertificatesPath)
    ok = _check_shapes(chain[1:], roots) and _check_chain(cert_file, key_file, roots)
    if not ok:
        raise invalid_configuration("Aborting certificate loading due to verification errors.")
    LOG.info("All certificates successfully loaded.")
    return Identity(cert_file, key_file, roots, subject, config.CertificateReservedNodeCommonName)


def _private_copies(chain, key_pem):
    directory = tempfile.mkdtemp(prefix="esdb-twin-tls-")
    atexit.register(shutil.rmtree, directory, True)
    cert_file, key_file = os.path.join(directory, "node.crt"), os.path.join(directory, "node.key")
    with open(cert_file, "w", encoding="ascii") as handle:
        handle.write("".join(pem if pem.endswith("\n") else pem + "\n" for pem in chain))
    with open(os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600), "w", encoding="ascii") as handle:
        handle.write(key_pem)
    return cert_file, key_file


def _load_roots(path):
    if not path:
        raise invalid_configuration(
            "TrustedRootCertificatesPath must be specified unless insecure mode (--insecure) is set.")
    LOG.info("Loading trusted root certificates.")
    if not os.path.exists(path):
        raise host_terminated("System.IO.DirectoryNotFoundException",
                              "Could not find a part of the path '%s'." % os.path.abspath(path))
    if not os.path.isdir(path):
        raise host_terminated("System.IO.IOException", "Not a directory : '%s'" % path)
    roots = []
    for name in sorted(os.listdir(path)):
        file_path = os.path.join(path, name)
        if not os.path.isfile(file_path) or os.path.splitext(name)[1] not in ROOT_EXTENSIONS:
            continue
        found = _pem_certs(_read_text(file_path, "System.IO.FileNotFoundException", file_path))
        if not found:
            raise host_terminated("System.AggregateException", "Error loading certificate file: %s" % file_path)
        roots.append(found[0])
        LOG.info("Loading trusted root certificate file: {file}", file=file_path)
    if not roots:
        raise invalid_configuration(
            "No trusted root certificate files were loaded from the specified path: %s" % path)
    for pem in roots:
        LOG.info("Loading trusted root certificate. Subject: {subject}, Thumbprint: {thumbprint}",
                 subject=distinguished_name(decode(pem)["subject"]), thumbprint=thumbprint(pem))
    return roots


def _check_shapes(intermediates, roots):
    ok = True
    for pem in intermediates:
        fields = decode(pem)
        if fields["subject"] == fields["issuer"]:
            LOG.error("Certificate with thumbprint '%s' does not appear to be a valid intermediate certificate since "
                      "it is self-signed. Please bundle only intermediate certificates (if any) and not root "
                      "certificates with the node's certificate." % thumbprint(pem))
            ok = False
    for pem in roots:
        fields = decode(pem)
        if fields["subject"] != fields["issuer"]:
            LOG.error("Certificate with thumbprint '%s' does not appear to be a valid root certificate since it is "
                      "not self-signed. If you have intermediate certificates, please bundle them with the node's "
                      "certificate (in PEM or PKCS #12 format)." % thumbprint(pem))
            ok = False
    return ok


def _check_chain(cert_file, key_file, roots):
    status = chain_status(cert_file, key_file, roots)
    if status != "NoError":
        LOG.error("Failed to build the certificate chain with the node's own certificate up to the root with error: "
                  "{chainStatus}. If you have intermediate certificates, please bundle them with the node's "
                  "certificate (in PEM or PKCS #12 format).", chainStatus=Plain(status))
        return False
    LOG.info("Certificate chain verification successful.")
    return True


def chain_status(cert_file, key_file, roots):
    """Handshake in memory: a server holding the node's certificate, a client trusting only `roots`."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        server.load_cert_chain(cert_file, key_file)
    except ssl.SSLError:
        raise host_terminated("System.Security.Cryptography.CryptographicException",
                              "The provided key does not match the public key for this certificate.") from None
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    for pem in roots:
        client.load_verify_locations(cadata=pem)
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client_side = client.wrap_bio(c_in, c_out, server_side=False)
    server_side = server.wrap_bio(s_in, s_out, server_side=True)
    for _unused in range(10):
        for side in (client_side, server_side):
            try:
                side.do_handshake()
                if side is client_side:
                    return "NoError"
            except ssl.SSLCertVerificationError as exc:
                return VERIFY_STATUS.get(exc.verify_code, exc.verify_message)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except ssl.SSLError as exc:
                return "NotValid (%s)" % exc.reason
        s_in.write(c_out.read())
        c_in.write(s_out.read())
    return "NotValid"
