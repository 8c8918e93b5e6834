"""A signed apt repository laid out like packagecloud's, plus a user's own mirror for Debian hosts.

<root>/EventStore/EventStore-OSS/gpgkey                          ASCII-armoured public key
<root>/EventStore/EventStore-OSS/ubuntu/dists/<suite>/...        Release, InRelease, Release.gpg, Packages
<root>/EventStore/EventStore-OSS/ubuntu/pool/main/e/eventstore-oss/*_amd64.deb
<root>/<mirror path>/gpgkey, <root>/<mirror path>/debian/...     the mirror (suites.json), same layout

Each suite lists only its own versions (suites.json), as packagecloud does; there is no Debian archive
under EventStore/EventStore-OSS, as there is none on packagecloud.
"""

import gzip
import hashlib
import os
import shutil
import time

from package.twinutil import TwinError, run

REPO_PATH = "EventStore/EventStore-OSS"
ARCHITECTURES = ("amd64",)
COMPONENT = "main"
POOL_DIR = "pool/main/e/eventstore-oss"
KEY_UID = "esdb.cluster test twin apt repository (throwaway test key) <esdb-cluster-twin@example.invalid>"
RELEASE_HASHES = (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"), ("SHA512", "sha512"))


def _gpg(home, *args, input_data=None):
    return run(["gpg", "--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback",
                "--passphrase", "", *args], input_data=input_data)


def _secret_fingerprint(home):
    if not os.path.isdir(home):
        return None
    listing = _gpg(home, "--with-colons", "--list-secret-keys").decode()
    for line in listing.splitlines():
        if line.startswith("fpr:"):
            return line.split(":")[9]
    return None


def ensure_signing_key(home):
    """Return the fingerprint of the throwaway signing key in home, generating it on first use."""
    fingerprint = _secret_fingerprint(home)
    if fingerprint:
        return fingerprint
    os.makedirs(home, mode=0o700, exist_ok=True)
    os.chmod(home, 0o700)
    _gpg(home, "--quick-gen-key", KEY_UID, "ed25519", "sign", "never")
    fingerprint = _secret_fingerprint(home)
    if not fingerprint:
        raise TwinError(f"gpg generated no key in {home}")
    return fingerprint


def stop_gpg_agent(home):
    if os.path.isdir(home):
        run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"])


def _control_fields(deb_path):
    fields = run(["dpkg-deb", "--field", deb_path]).decode()
    return fields.rstrip("\n")


def _digests(data):
    return {algo: hashlib.new(algo, data).hexdigest() for _unused, algo in RELEASE_HASHES}


def packages_index(debs):
    """The Packages file body for the given (pool-relative filename, absolute path) pairs."""
    stanzas = []
    for filename, path in debs:
        with open(path, "rb") as handle:
            data = handle.read()
        digests = _digests(data)
        stanzas.append("\n".join([
            _control_fields(path),
            f"Filename: {filename}",
            f"Size: {len(data)}",
            f"MD5sum: {digests['md5']}",
            f"SHA1: {digests['sha1']}",
            f"SHA256: {digests['sha256']}",
        ]))
    return ("\n\n".join(stanzas) + "\n").encode()


def release_file(suite, indexes):
    """The Release text for one suite; indexes maps suite-relative paths to their bytes."""
    lines = [
        "Origin: esdb.cluster test twin",
        "Label: EventStore-OSS (esdb.cluster test emulator, not EventStoreDB)",
        f"Suite: {suite}",
        f"Codename: {suite}",
        f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S UTC', time.gmtime())}",
        f"Architectures: {' '.join(ARCHITECTURES)}",
        f"Components: {COMPONENT}",
        "Description: Test-only archive of the esdb.cluster EventStoreDB 22.10 emulator",
    ]
    for field, algo in RELEASE_HASHES:
        lines.append(f"{field}:")
        for rel in sorted(indexes):
            data = indexes[rel]
            lines.append(f" {hashlib.new(algo, data).hexdigest()} {len(data):>16} {rel}")
    return "\n".join(lines) + "\n"


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def _publish_suite(archive, suite, packages, home, fingerprint):
    suite_dir = os.path.join(archive, "dists", suite)
    indexes = {}
    packages_gz = gzip.compress(packages, mtime=0)
    for arch in ARCHITECTURES:
        indexes[f"{COMPONENT}/binary-{arch}/Packages"] = packages
        indexes[f"{COMPONENT}/binary-{arch}/Packages.gz"] = packages_gz
    for rel, data in indexes.items():
        _write(os.path.join(suite_dir, rel), data)
    release = os.path.join(suite_dir, "Release")
    _write(release, release_file(suite, indexes).encode())
    signer = ("--local-user", fingerprint, "--digest-algo", "SHA512")
    _gpg(home, *signer, "--clearsign", "--output", os.path.join(suite_dir, "InRelease"), release)
    _gpg(home, *signer, "--armor", "--detach-sign", "--output", os.path.join(suite_dir, "Release.gpg"), release)


def _archive(archive, suites, debs, home, fingerprint):
    """One distribution's archive: a pool of the versions its suites use, and each suite's own index."""
    pool = os.path.join(archive, POOL_DIR)
    os.makedirs(pool)
    entries = {}
    for version in sorted({v for versions in suites.values() for v in versions}):
        name = os.path.basename(debs[version])
        shutil.copyfile(debs[version], os.path.join(pool, name))
        entries[version] = (f"{POOL_DIR}/{name}", os.path.join(pool, name))
    for suite, versions in suites.items():
        _publish_suite(archive, suite, packages_index([entries[v] for v in versions]), home, fingerprint)


def layout(sets):
    """[(archive directory relative to the root, {suite: versions}), ...] and the key paths, from suites.json."""
    archives = [(f"{REPO_PATH}/{distro}", suites) for distro, suites in sets.get("packagecloud", {}).items()]
    keys = [f"{REPO_PATH}/gpgkey"]
    mirror = sets.get("mirror")
    if mirror:
        archives.append((f"{mirror['path']}/{mirror.get('distribution', 'debian')}", mirror["suites"]))
        keys.append(f"{mirror['path']}/gpgkey")
    return archives, keys


def _build_tree(top, debs, home, fingerprint, sets):
    archives, keys = layout(sets)
    for archive, suites in archives:
        _archive(os.path.join(top, archive), suites, debs, home, fingerprint)
    key = _gpg(home, "--armor", "--export", fingerprint)
    for rel in keys:
        _write(os.path.join(top, rel), key)


def build_repo(repo_root, debs, home, sets):
    """(Re)build the archives under repo_root, swapping them in whole; return the key fingerprint.

    debs maps each version to its .deb; sets is suites.json. repo_root itself stays in place (an HTTP
    server may have it mounted); only its top-level child directories are replaced.
    """
    fingerprint = ensure_signing_key(home)
    staging = os.path.join(repo_root, ".staging")
    retired = os.path.join(repo_root, ".retired")
    for leftover in (staging, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    os.makedirs(staging)
    try:
        _build_tree(staging, debs, home, fingerprint, sets)
    finally:
        stop_gpg_agent(home)
    os.makedirs(retired)
    for name in os.listdir(repo_root):
        if not name.startswith("."):
            os.rename(os.path.join(repo_root, name), os.path.join(retired, name))
    for name in os.listdir(staging):
        os.rename(os.path.join(staging, name), os.path.join(repo_root, name))
    shutil.rmtree(retired, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    for dirpath, dirnames, filenames in os.walk(repo_root):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o755)
        for name in filenames:
            if not os.path.islink(os.path.join(dirpath, name)):
                os.chmod(os.path.join(dirpath, name), 0o644)
    os.chmod(repo_root, 0o755)
    return fingerprint
