"""The Debian 12 systemd base images: debootstrap once, cache the rootfs tarball, docker import.

The images are hermetic: they have no Debian apt sources, so containers only ever install from the
repositories a test adds (the twin's own signed repository). Two flavours:

Both let the launch key pair's user log in over SSH, as an EC2 instance does (instance_login.py).

- `systemd` (esdb-twin/debian12-systemd): ready at once, python3-debian preinstalled.
- `fresh-host` (esdb-twin/debian12-fresh-host): what a new Ubuntu EC2 instance is on first boot: empty apt
  lists, no python3-debian, and a cloud-init first boot (freshhost.py) holding the dpkg lock for a while.
"""

import glob
import hashlib
import os
import shutil
import time

from image import freshhost, instance_login
from image.dockercli import docker, inspect, labels_of, require_engine
from package.twinutil import DEFAULT_BUILD_DIR, TwinError, exclusive, run

IMAGE = "esdb-twin/debian12-systemd:latest"
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
# What a fresh Ubuntu EC2 instance offers that Ansible and the role rely on.
PACKAGES = ("python3", "python3-yaml", "python3-debian", "python3-apt", "systemd", "systemd-sysv",
            "sudo", "ca-certificates", "gpg", "iproute2") + instance_login.PACKAGES
# Bump when harden() changes, so that a cached rootfs or image is rebuilt.
HARDENING_REVISION = 1
DEFAULT_FLAVOUR = "systemd"
FLAVOUR_VARIABLE = "ESDB_TWIN_IMAGE_FLAVOUR"
# flavour -> (image, packages, extra rootfs step, its revision)
FLAVOURS = {
    "systemd": (IMAGE, PACKAGES, None, ""),
    "fresh-host": ("esdb-twin/debian12-fresh-host:latest", freshhost.PACKAGES, freshhost.apply, freshhost.REVISION),
}


def flavour_from_env(environ=None):
    """The flavour named by ESDB_TWIN_IMAGE_FLAVOUR (default systemd); a clear error for anything else."""
    name = (os.environ if environ is None else environ).get(FLAVOUR_VARIABLE, "").strip() or DEFAULT_FLAVOUR
    if name not in FLAVOURS:
        raise TwinError(f"{FLAVOUR_VARIABLE}={name!r} is not an image flavour: use one of {', '.join(FLAVOURS)}")
    return name


def image_name(flavour=DEFAULT_FLAVOUR):
    return FLAVOURS[flavour][0]


RECIPE_LABEL = "esdb.twin.recipe"
IMPORT_CHANGES = (
    'CMD ["/sbin/init"]',
    "ENV container=docker",
    "LABEL esdb.twin=1",
)
EMPTY_SOURCES = "# Empty on purpose: containers of this test image use only the repositories tests add.\n"


def recipe_key(flavour=DEFAULT_FLAVOUR):
    _image, packages, _extra, revision = FLAVOURS[flavour]
    text = "|".join([SUITE, MIRROR, ",".join(sorted(packages)), str(HARDENING_REVISION), instance_login.REVISION])
    if flavour != DEFAULT_FLAVOUR:
        text += "|%s|%s" % (flavour, revision)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# Shared by every build directory: bootstrapping is the slow step.
CACHE_DIR = os.path.join(DEFAULT_BUILD_DIR, "image")


def tarball_path(cache_dir=CACHE_DIR, flavour=DEFAULT_FLAVOUR):
    return os.path.join(cache_dir, f"rootfs-{SUITE}-{recipe_key(flavour)}.tar")


def _write(path, text):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _empty_dir(path):
    for entry in glob.glob(os.path.join(path, "*")):
        if os.path.isdir(entry) and not os.path.islink(entry):
            shutil.rmtree(entry)
        else:
            os.remove(entry)


def harden(rootfs):
    """Make the rootfs hermetic and ready for systemd as PID 1 in a container."""
    _write(os.path.join(rootfs, "etc/apt/sources.list"), EMPTY_SOURCES)
    _empty_dir(os.path.join(rootfs, "etc/apt/sources.list.d"))
    for pattern in ("var/lib/apt/lists/*", "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb"):
        for entry in glob.glob(os.path.join(rootfs, pattern)):
            if os.path.isfile(entry):
                os.remove(entry)
    # An empty machine-id makes systemd generate a fresh one in every container.
    _write(os.path.join(rootfs, "etc/machine-id"), "")
    dbus_id = os.path.join(rootfs, "var/lib/dbus/machine-id")
    if os.path.lexists(dbus_id):
        os.remove(dbus_id)
    # Docker bind-mounts its own; the host's must not leak into the image.
    _write(os.path.join(rootfs, "etc/resolv.conf"), "")
    _write(os.path.join(rootfs, "etc/hostname"), "localhost\n")


def _debootstrap(rootfs, packages=PACKAGES):
    if os.geteuid() != 0:
        raise TwinError("building the base image runs debootstrap, which needs root: "
                        "run `sudo tests/twin/twinctl image`")
    if shutil.which("debootstrap") is None:
        raise TwinError("debootstrap not found: apt-get install -y debootstrap")
    shutil.rmtree(rootfs, ignore_errors=True)
    run(["debootstrap", "--variant=minbase", f"--include={','.join(packages)}", SUITE, rootfs, MIRROR],
        timeout=1800)


def build_tarball(cache_dir=CACHE_DIR, flavour=DEFAULT_FLAVOUR):
    """Create the cached rootfs tarball unless it exists; return its path."""
    tarball = tarball_path(cache_dir, flavour)
    _image, packages, extra, _revision = FLAVOURS[flavour]
    if os.path.isfile(tarball):
        return tarball
    os.makedirs(cache_dir, exist_ok=True)
    rootfs = tarball + ".rootfs"
    try:
        _debootstrap(rootfs, packages)
        harden(rootfs)
        instance_login.apply(rootfs)
        if extra is not None:
            extra(rootfs)
        run(["tar", "--numeric-owner", "--xattrs", "-C", rootfs, "-cf", tarball + ".part", "."], timeout=600)
        os.rename(tarball + ".part", tarball)
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
        if os.path.exists(tarball + ".part"):
            os.remove(tarball + ".part")
    current = {tarball_path(cache_dir, name) for name in FLAVOURS}
    for stale in glob.glob(os.path.join(cache_dir, "rootfs-*.tar")):
        if stale not in current:
            os.remove(stale)
    return tarball


def image_status(flavour=DEFAULT_FLAVOUR):
    """(image id, recipe is current) or (None, False)."""
    image = inspect("image", image_name(flavour))
    if image is None:
        return None, False
    return image["Id"], labels_of(image).get(RECIPE_LABEL) == recipe_key(flavour)


def ensure_image(cache_dir=CACHE_DIR, rebuild=False, flavour=DEFAULT_FLAVOUR):
    """Make sure the flavour's image exists and matches the recipe; return a summary dict."""
    started = time.monotonic()
    require_engine()
    image_id, current = image_status(flavour)
    action = "reused"
    if rebuild or not current:
        with exclusive(os.path.join(cache_dir, ".image.lock")):
            image_id, action = _import(cache_dir, rebuild, flavour)
    return {"image": image_name(flavour), "id": image_id, "action": action,
            "seconds": round(time.monotonic() - started, 3)}


def _import(cache_dir, rebuild, flavour=DEFAULT_FLAVOUR):
    """Import the image unless a concurrent run already did; return (image id, action)."""
    image_id, current = image_status(flavour)
    if current and not rebuild:
        return image_id, "reused"
    cached = os.path.isfile(tarball_path(cache_dir, flavour))
    tarball = build_tarball(cache_dir, flavour)
    args = ["import"]
    for change in (*IMPORT_CHANGES, f"LABEL {RECIPE_LABEL}={recipe_key(flavour)}"):
        args += ["--change", change]
    docker(*args, tarball, image_name(flavour), timeout=900)
    image_id, _unused = image_status(flavour)
    return image_id, "imported from cached rootfs" if cached else "bootstrapped and imported"
