"""The fresh-host flavour: a base image that behaves like a new Ubuntu EC2 instance on its first boot.

- like a cloud host it knows its distribution's archive (Debian's, the only one reachable here, in place of
  Ubuntu's), but its apt lists are empty (harden() removes them) and python3-debian is not installed, so a
  role that needs it must `apt-get update` and install it;
- cloud-init.service (oneshot) runs on first boot and holds the dpkg/apt locks (fcntl write locks on
  /var/lib/dpkg/lock-frontend and friends, as apt takes them) for CLOUD_INIT_SECONDS, then marks itself
  done; `/usr/bin/cloud-init status --wait` waits for that, like the real command;
- unattended-upgrades-first-run.service then holds the same locks for UNATTENDED_UPGRADES_SECONDS.

Durations live in /etc/default/esdb-twin-first-boot (defaults 15 s + 20 s); override them per container by
bind-mounting another file there. Test infrastructure only: nothing here is cloud-init or unattended-upgrades.
"""
import os
import shutil

from image import instance_login

FILES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fresh-host")
# The systemd flavour's packages without python3-debian (a fresh Ubuntu cloud image does not carry it).
PACKAGES = ("python3", "python3-yaml", "python3-apt", "systemd", "systemd-sysv", "sudo", "ca-certificates", "gpg",
            "iproute2") + instance_login.PACKAGES
# (file under fresh-host/, destination in the rootfs, mode)
PAYLOAD = (
    ("first-boot", "usr/lib/esdb-twin/first-boot", 0o755),
    ("cloud-init", "usr/bin/cloud-init", 0o755),
    ("cloud-init.service", "etc/systemd/system/cloud-init.service", 0o644),
    ("unattended-upgrades-first-run.service", "etc/systemd/system/unattended-upgrades-first-run.service", 0o644),
    ("esdb-twin-first-boot.default", "etc/default/esdb-twin-first-boot", 0o644),
)
ENABLED = ("cloud-init.service", "unattended-upgrades-first-run.service")
DISTRIBUTION_SOURCES = "deb http://deb.debian.org/debian bookworm main\n"


def _digest():
    import hashlib  # pylint: disable=import-outside-toplevel
    digest = hashlib.sha256(DISTRIBUTION_SOURCES.encode())
    for name, _dest, _mode in PAYLOAD:
        with open(os.path.join(FILES_DIR, name), "rb") as handle:
            digest.update(name.encode() + b"\0" + handle.read())
    return digest.hexdigest()[:12]


REVISION = _digest()


def apply(rootfs):
    """Add the distribution archive, and the first-boot units and commands enabled the way systemctl enable
    would, to a hardened rootfs."""
    with open(os.path.join(rootfs, "etc/apt/sources.list"), "w", encoding="utf-8") as handle:
        handle.write(DISTRIBUTION_SOURCES)
    for name, dest, mode in PAYLOAD:
        target = os.path.join(rootfs, dest)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(os.path.join(FILES_DIR, name), encoding="utf-8") as handle:
            text = handle.read()
        # The sources say "env python"; the image has only python3 (as Debian packaging pins it).
        if text.startswith("#!/usr/bin/env python\n"):
            text = "#!/usr/bin/python3\n" + text.split("\n", 1)[1]
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(target, mode)
    wants = os.path.join(rootfs, "etc/systemd/system/multi-user.target.wants")
    os.makedirs(wants, exist_ok=True)
    for unit in ENABLED:
        link = os.path.join(wants, unit)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink("/etc/systemd/system/" + unit, link)
    for stale in ("var/lib/cloud", "var/lib/esdb-twin"):
        shutil.rmtree(os.path.join(rootfs, stale), ignore_errors=True)
