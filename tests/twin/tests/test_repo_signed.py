"""The signed apt repository: packagecloud-style layout, valid signatures, matching hashes."""

import gzip
import hashlib
import subprocess

import pytest

from ansible_collections.esdb.cluster.tests.lib.twintesting import TWIN_DIR, twin_build

__all__ = ["twin_build"]
SUITES = ("focal", "jammy")
RELEASE_HASHES = {"MD5Sum": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}


@pytest.fixture(name="keyring", scope="module")
def keyring_fixture(twin_build, tmp_path_factory):
    """The published ASCII-armoured key, converted to the binary keyring gpgv reads."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    armored = (twin_build["repo"] / "gpgkey").read_bytes()
    assert armored.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")
    binary = subprocess.run(["gpg", "--homedir", str(home), "--batch", "--dearmor"], input=armored,
                            capture_output=True, check=True).stdout
    path = home / "repo.gpg"
    path.write_bytes(binary)
    return path


def gpgv(keyring, *files):
    return subprocess.run(["gpgv", "--keyring", str(keyring), *map(str, files)], capture_output=True, text=True,
                          check=False)


def parse_release(text):
    fields, hashes, current = {}, {}, None
    for line in text.splitlines():
        if line.startswith(" ") and current:
            digest, size, name = line.split()
            hashes.setdefault(current, {})[name] = (digest, int(size))
        else:
            key, _unused, value = line.partition(":")
            fields[key] = value.strip()
            current = key if key in RELEASE_HASHES else None
    return fields, hashes


def suite_dir(twin_build, suite, distro="ubuntu"):
    return twin_build["repo"] / distro / "dists" / suite


@pytest.mark.parametrize("suite", SUITES)
def test_release_signatures_verify_against_the_published_key(twin_build, keyring, suite):
    dists = suite_dir(twin_build, suite)
    detached = gpgv(keyring, dists / "Release.gpg", dists / "Release")
    assert detached.returncode == 0, detached.stderr
    inline = gpgv(keyring, dists / "InRelease")
    assert inline.returncode == 0, inline.stderr
    assert (dists / "Release").read_text() in (dists / "InRelease").read_text()


def test_a_tampered_release_fails_verification(twin_build, keyring, tmp_path):
    dists = suite_dir(twin_build, "jammy")
    forged = tmp_path / "Release"
    forged.write_text((dists / "Release").read_text().replace("Suite: jammy", "Suite: noble"))
    assert gpgv(keyring, dists / "Release.gpg", forged).returncode != 0


@pytest.mark.parametrize("suite", SUITES)
def test_release_lists_every_index_with_correct_hashes(twin_build, suite):
    dists = suite_dir(twin_build, suite)
    fields, hashes = parse_release((dists / "Release").read_text())
    assert fields["Suite"] == suite and fields["Codename"] == suite
    assert fields["Components"] == "main"
    assert fields["Architectures"].split() == ["amd64"]
    assert set(hashes) == set(RELEASE_HASHES)
    for arch in ("amd64",):
        assert f"main/binary-{arch}/Packages" in hashes["SHA256"]
    for field, entries in hashes.items():
        for name, (digest, size) in entries.items():
            data = (dists / name).read_bytes()
            assert len(data) == size, name
            assert hashlib.new(RELEASE_HASHES[field], data).hexdigest() == digest, (field, name)


def packages_stanzas(text):
    return [dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(" ") and ": " in line)
            for block in text.strip().split("\n\n")]


def test_packages_index_points_at_both_debs_in_the_pool(twin_build):
    archive = twin_build["repo"] / "ubuntu"
    binary = suite_dir(twin_build, "focal") / "main" / "binary-amd64"
    text = (binary / "Packages").read_text()
    assert gzip.decompress((binary / "Packages.gz").read_bytes()).decode() == text
    stanzas = packages_stanzas(text)
    assert sorted(s["Version"] for s in stanzas) == ["22.10.0", "22.10.1"]
    for stanza in stanzas:
        assert stanza["Package"] == "eventstore-oss"
        assert stanza["Filename"].startswith("pool/main/e/eventstore-oss/")
        deb = (archive / stanza["Filename"]).read_bytes()
        assert int(stanza["Size"]) == len(deb)
        assert stanza["SHA256"] == hashlib.sha256(deb).hexdigest()
        assert deb == twin_build["debs"][stanza["Version"]].read_bytes()


def test_packagecloud_has_no_debian_archive(twin_build):
    assert not (twin_build["repo"] / "debian").exists()
    assert (suite_dir(twin_build, "jammy", "ubuntu") / "InRelease").is_file()


def test_signing_key_lives_only_in_the_ignored_build_directory():
    ignored = subprocess.run(["git", "-C", TWIN_DIR, "check-ignore", "-q", ".build/gnupg/private-keys-v1.d/x.key"],
                             check=False)
    assert ignored.returncode == 0
    needle = "BEGIN PGP " + "PRIVATE KEY BLOCK"  # split, so that this file does not match itself
    tracked = subprocess.run(["git", "-C", TWIN_DIR, "grep", "-l", needle, "--", "."],
                             capture_output=True, text=True, check=False)
    assert tracked.returncode == 1 and tracked.stdout == ""
