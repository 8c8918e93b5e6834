"""PKCS #12 node certificates (CertificateFile without CertificatePrivateKeyFile), read with the openssl command.

22.10 (CertificateUtils.LoadFromFile) decodes the bundle with CertificatePassword; when that fails it lets
X509Certificate2 guess the format, which refuses a wrong password and a file without a private key.
The emulator has no cryptography library, so it asks the openssl command (ca-certificates depends on it).
"""
import re
import subprocess

from .errors import host_terminated

PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
PEM_KEY = re.compile(r"-----BEGIN (?:RSA |ENCRYPTED )?PRIVATE KEY-----.+?-----END (?:RSA |ENCRYPTED )?PRIVATE KEY-----",
                     re.S)


def _openssl(path, password, *selection):
    for legacy in ((), ("-legacy",)):
        try:
            done = subprocess.run(["openssl", "pkcs12", "-in", path, "-passin", "pass:" + password, "-nodes",
                                   *legacy, *selection], capture_output=True, check=False, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None, ""
        if done.returncode == 0:
            return done.stdout.decode("latin-1"), ""
        error = done.stderr.decode("latin-1")
    return None, error


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise host_terminated("System.Security.Cryptography.CryptographicException",
                              "The system cannot find the file specified.") from None


def load(path, password):
    """([leaf PEM, intermediate PEMs...], key PEM), or raise the StartupFailure 22.10 would end with."""
    data = _read(path)
    leaf, error = _openssl(path, password, "-clcerts", "-nokeys")
    if leaf is None:
        if b"-----BEGIN CERTIFICATE-----" in data or (data[:1] == b"\x30" and "mac verify" not in error.lower()
                                                      and "invalid password" not in error.lower()):
            # X509Certificate2 loads a PEM or DER certificate, which carries no private key.
            raise host_terminated("EventStore.Core.Exceptions.NoCertificatePrivateKeyException",
                                  "Exception of type 'EventStore.Core.Exceptions.NoCertificatePrivateKeyException' "
                                  "was thrown.")
        if "mac verify" in error.lower() or "invalid password" in error.lower():
            raise host_terminated("Internal.Cryptography.CryptoThrowHelper+WindowsCryptographicException",
                                  "The certificate data cannot be read with the provided password, the password may "
                                  "be incorrect.")
        raise host_terminated("Internal.Cryptography.CryptoThrowHelper+WindowsCryptographicException",
                              "Cannot find the requested object.")
    key_text, _unused = _openssl(path, password, "-nocerts")
    others, _unused = _openssl(path, password, "-cacerts", "-nokeys")
    keys = PEM_KEY.findall(key_text or "")
    if not keys:
        raise host_terminated("EventStore.Core.Exceptions.NoCertificatePrivateKeyException",
                              "Exception of type 'EventStore.Core.Exceptions.NoCertificatePrivateKeyException' "
                              "was thrown.")
    return PEM_CERT.findall(leaf) + PEM_CERT.findall(others or ""), keys[0] + "\n"
