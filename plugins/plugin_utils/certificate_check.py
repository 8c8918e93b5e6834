# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What EventStoreDB 22.10 would refuse in a user's own CA, node certificate and key.

22.10 loads them only at start-up (--what-if returns first), so a bad file would pass the config
check and stop the node at its restart. The rules, from the 22.10 source:
- the node key: the first and last PEM lines are dropped and the rest is imported as a PKCS#1
  RSAPrivateKey (Certificates/CertificateUtils.cs), so a PKCS#8 key (OpenSSL 3's default) fails;
- trusted roots must be self-signed (Certificates/OptionsCertificateProvider.cs);
- the node certificate must chain to them and name the node (ClusterVNode.cs, ValidateCertificate).
Each problem is one sentence naming the file and the fix.
"""

from __future__ import annotations

import base64
import binascii
import datetime

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
except ImportError:  # community.crypto needs it too; say so only when a certificate is checked.
    x509 = None

CONVERT_KEY = 'openssl pkey -in KEY -traditional -out KEY.pkcs1 (OpenSSL 3) or openssl rsa -in KEY -out KEY.pkcs1'


def certificate_problems(cert_file, key_file, ca_file, ip, common_name, now=None):
    """Sentences for what 22.10 would refuse; empty when the files would load and name the node."""
    if x509 is None:
        return ['Checking %s needs the Python cryptography library on the controller (pip install cryptography).'
                % cert_file]
    if not ca_file:
        return ['eventstore_node_cert_file %s needs eventstore_ca_cert, the CA that issued it, which the nodes '
                'trust.' % cert_file]
    problems = []
    ca, problem = _certificate(ca_file, 'eventstore_ca_cert')
    problems += [problem] if problem else []
    cert, problem = _certificate(cert_file, 'eventstore_node_cert_file')
    problems += [problem] if problem else []
    problems += _key_problems(key_file)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if ca is not None:
        if ca.issuer != ca.subject or not _signed_by(ca, ca):
            problems.append('%s is not self-signed; EventStoreDB 22.10 trusts only self-signed roots. Give the '
                            'root CA as eventstore_ca_cert.' % ca_file)
        problems += _expiry(ca_file, ca, now)
    if cert is not None:
        if ca is not None and (cert.issuer != ca.subject or not _signed_by(cert, ca)):
            problems.append('%s was not issued by %s; reissue it from that CA.' % (cert_file, ca_file))
        problems += _expiry(cert_file, cert, now)
        problems += _name_problems(cert_file, cert, ip, common_name)
    return problems


def _certificate(path, variable):
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except OSError as exc:
        return None, '%s %s cannot be read (%s).' % (variable, path, exc.strerror)
    try:
        return x509.load_pem_x509_certificate(data), None
    except ValueError:
        try:
            return x509.load_der_x509_certificate(data), None
        except ValueError:
            return None, '%s %s is not a PEM or DER certificate.' % (variable, path)


def _key_problems(path):
    try:
        with open(path, 'rb') as handle:
            lines = handle.read().decode('ascii', 'replace').strip().splitlines()
    except OSError as exc:
        return ['eventstore_node_key_file %s cannot be read (%s).' % (path, exc.strerror)]
    try:
        der = base64.b64decode(''.join(lines[1:-1]), validate=True)
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, binascii.Error):
        return ['%s is not an unencrypted PEM private key.' % path]
    if not isinstance(key, rsa.RSAPrivateKey):
        return ['%s is not an RSA key; EventStoreDB 22.10 needs an RSA key in PKCS#1 form.' % path]
    # PKCS#1 RSAPrivateKey: SEQUENCE { INTEGER version, INTEGER modulus, ... };
    # PKCS#8 wraps it: SEQUENCE { INTEGER 0, SEQUENCE algorithm, OCTET STRING key }.
    if _second_element_tag(der) != 0x02:
        return ['%s is a PKCS#8 key; EventStoreDB 22.10 reads only PKCS#1 ("BEGIN RSA PRIVATE KEY"). Convert it: %s.'
                % (path, CONVERT_KEY)]
    return []


def _second_element_tag(der):
    """The ASN.1 tag of the second element inside the outer SEQUENCE (None when not DER)."""
    if len(der) < 4 or der[0] != 0x30:
        return None
    offset = 2 + (der[1] & 0x7f if der[1] & 0x80 else 0)
    if offset + 2 > len(der) or der[offset] != 0x02:
        return None
    offset += 2 + der[offset + 1]
    return der[offset] if offset < len(der) else None


def _signed_by(cert, issuer):
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        else:
            cert.verify_directly_issued_by(issuer)
    except Exception:  # pylint: disable=broad-except
        # Any failure to verify is the same answer: not signed by that issuer.
        return False
    return True


def _expiry(path, cert, now):
    if cert.not_valid_after_utc <= now:
        return ['%s expired on %s; renew it.' % (path, cert.not_valid_after_utc.date().isoformat())]
    if cert.not_valid_before_utc > now:
        return ['%s is not valid before %s; check the clocks.' % (path, cert.not_valid_before_utc.isoformat())]
    return []


def _name_problems(path, cert, ip, common_name):
    problems = []
    names = [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    if common_name not in names:
        problems.append("%s has common name %s, not '%s' (CertificateReservedNodeCommonName); reissue it or set "
                        'eventstore_cert_common_name.' % (path, names[0] if names else 'none', common_name))
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        addresses = [str(a) for a in sans.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        addresses = []
    if ip not in addresses:
        problems.append('%s does not name the node address %s (SAN IP addresses: %s); reissue it with IP:%s.'
                        % (path, ip, ', '.join(addresses) or 'none', ip))
    return problems
