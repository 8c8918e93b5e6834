"""The collection builds, installs from its tarball, and documents what it ships."""
import glob
import json
import os
import shutil
import subprocess
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")
GALAXY = yaml.safe_load(open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8"))


def run(*cmd, env=None, cwd=ROOT):
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, "%s failed:\n%s\n%s" % (" ".join(cmd), result.stdout, result.stderr)
    return result.stdout


def shipped(kind):
    """Plugin names of one kind, as the source tree has them."""
    return sorted(os.path.splitext(os.path.basename(p))[0]
                  for p in glob.glob(os.path.join(ROOT, "plugins", kind, "*.py"))
                  if not os.path.basename(p).startswith("_"))


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    run(os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out))
    return out / ("esdb-cluster-%s.tar.gz" % GALAXY["version"])


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    """A collections path with the built tarball installed, plus the dependencies and nothing else."""
    path = tmp_path_factory.mktemp("collections")
    deps = tmp_path_factory.mktemp("dependencies") / "ansible_collections"
    source = os.path.join(ROOT, ".collections", "ansible_collections")
    for namespace in os.listdir(source):
        if namespace != "esdb":  # the checkout's own link must not be found
            deps.mkdir(parents=True, exist_ok=True)
            os.symlink(os.path.join(source, namespace), deps / namespace)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (path, deps.parent))
    # Run outside the checkout, so that its ansible.cfg does not apply.
    run(os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--force", "--no-deps", "-p", str(path),
        str(tarball), env=env, cwd=str(path))
    assert os.path.isfile(os.path.join(path, "ansible_collections", "esdb", "cluster", "MANIFEST.json"))
    return path, env


def test_tarball_has_manifest_and_metadata(tarball):
    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        names = tar.getnames()
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == ("esdb", "cluster", GALAXY["version"])
    assert set(info["dependencies"]) == {"amazon.aws", "community.crypto"}
    assert "meta/runtime.yml" in names


def test_tarball_leaves_out_local_and_test_only_files(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    for local in (".venv", ".collections", ".cache", "tests/twin", "molecule", "scripts", "Makefile"):
        assert not [n for n in names if n == local or n.startswith(local + "/")], local
    assert not [n for n in names if "__pycache__" in n]


def test_installed_tarball_is_what_ansible_resolves(installed):
    path, env = installed
    out = run(os.path.join(BIN, "ansible-galaxy"), "collection", "list", "esdb.cluster", "--format", "json",
              env=env, cwd=str(path))
    assert list(json.loads(out)) == [os.path.join(str(path), "ansible_collections")], out


@pytest.mark.parametrize("kind,doc_type", [("modules", "module"), ("inventory", "inventory")])
def test_ansible_doc_lists_every_shipped_plugin(installed, kind, doc_type):
    _unused, env = installed
    expected = shipped(kind)
    if not expected:
        pytest.skip("the collection ships no %s plugins yet" % doc_type)
    listed = json.loads(run(os.path.join(BIN, "ansible-doc"), "-t", doc_type, "-l", "esdb.cluster", "-j",
                            env=env, cwd=str(installed[0])))
    assert sorted(listed) == ["esdb.cluster.%s" % name for name in expected]


def test_action_group_lists_every_module_that_talks_to_a_node():
    """module_defaults for the group hand every member the connection options, so the group holds exactly
    the modules documented with the esdb.cluster.connection fragment; the others would reject them."""
    runtime = yaml.safe_load(open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8"))
    connecting = [name for name in shipped("modules")
                  if "- esdb.cluster.connection" in open(os.path.join(ROOT, "plugins", "modules", name + ".py"),
                                                         encoding="utf-8").read()]
    assert {"cluster_status", "leader_resign", "scavenge"} <= set(connecting)
    assert sorted(runtime["action_groups"]["eventstore"]) == connecting


@pytest.mark.parametrize("playbook", ["site.yml"] + sorted(
    os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "playbooks", "*.yml"))))
def test_playbook_syntax(playbook):
    # A throwaway inventory: the syntax check must reach nothing, AWS least of all.
    run(os.path.join(BIN, "ansible-playbook"), "--syntax-check", "-i", "localhost,", playbook,
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections")))


def test_build_from_a_tree_with_controller_pki_ships_no_key(tmp_path):
    """A CA key left next to an inventory (an old default) or anywhere else never reaches the tarball."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, str(tree), ignore=shutil.ignore_patterns(".venv", ".collections", ".git", ".cache"))
    pki = tree / "inventories" / "aws" / ".eventstore-pki" / "esdb"
    (pki / "nodes" / "esdb-1").mkdir(parents=True)
    for path in (pki / "ca.key", pki / "ca.crt", pki / "nodes" / "esdb-1" / "node.key", tree / "roles" / "stray.key"):
        path.write_text("-----BEGIN RSA PRIVATE KEY-----\n")
    out = tmp_path / "build"
    run(os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out), cwd=str(tree))
    with tarfile.open(out / ("esdb-cluster-%s.tar.gz" % GALAXY["version"])) as tar:
        names = tar.getnames()
    assert "roles/eventstore/tasks/pki.yml" in names  # the build did take the tree
    assert [n for n in names if n.endswith(".key") or ".eventstore-pki" in n] == []
