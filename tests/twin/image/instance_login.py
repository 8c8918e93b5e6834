"""SSH logins on the twin's instances, as on a new Ubuntu EC2 instance (every image flavour).

openssh-server is installed and enabled; at boot, esdb-twin-instance-login.service (instance-login/) makes the
instance's own host keys, the default user `ubuntu` with passwordless sudo (the sudoers file cloud-init writes)
and installs the launch key pair's public key, which the twin's syncer seeds before the container starts.
Until then no key is authorized: like EC2, an instance launched without a key pair admits nobody.
Test infrastructure only.
"""
import glob
import hashlib
import os

FILES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "instance-login")
PACKAGES = ("openssh-server",)
# (file under instance-login/, destination in the rootfs, mode)
PAYLOAD = (
    ("instance-login", "usr/lib/esdb-twin/instance-login", 0o755),
    ("esdb-twin-instance-login.service", "etc/systemd/system/esdb-twin-instance-login.service", 0o644),
    ("90-cloud-init-users", "etc/sudoers.d/90-cloud-init-users", 0o440),
)
UNIT = "esdb-twin-instance-login.service"
# Where the syncer puts the key pair's public key (instance-login reads $SEED/public-keys).
SEED_DIR = "/var/lib/esdb-twin-seed"


def _digest():
    digest = hashlib.sha256()
    for name, dest, mode in PAYLOAD:
        with open(os.path.join(FILES_DIR, name), "rb") as handle:
            digest.update(("%s %s %o\0" % (name, dest, mode)).encode() + handle.read())
    return digest.hexdigest()[:12]


REVISION = _digest()


def apply(rootfs):
    """Install the payload and enable the unit; drop the build's host keys, so each container makes its own."""
    for name, dest, mode in PAYLOAD:
        target = os.path.join(rootfs, dest)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(os.path.join(FILES_DIR, name), "rb") as source, open(target, "wb") as handle:
            handle.write(source.read())
        os.chmod(target, mode)
    wants = os.path.join(rootfs, "etc/systemd/system/multi-user.target.wants")
    os.makedirs(wants, exist_ok=True)
    link = os.path.join(wants, UNIT)
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("/etc/systemd/system/" + UNIT, link)
    for key in glob.glob(os.path.join(rootfs, "etc/ssh/ssh_host_*")):
        os.remove(key)
    # A container may not set the audit login uid; sshd's PAM stack would then refuse every session.
    pam = os.path.join(rootfs, "etc/pam.d/sshd")
    if os.path.isfile(pam):
        with open(pam, encoding="utf-8") as handle:
            text = handle.read()
        with open(pam, "w", encoding="utf-8") as handle:
            handle.write(text.replace("session    required     pam_loginuid.so",
                                      "session    optional     pam_loginuid.so"))
