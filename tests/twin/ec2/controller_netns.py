"""A controller in its own Linux network namespace, reaching only what an access mode allows.

Root only. The namespace has its own loopback (a moto server started in it answers on 127.0.0.1 there,
and clashes with no other on the machine) and one veth whose peer is a port of the Linux bridge of one
Docker network, with one address of that network's subnet and no default route: every other address
is unreachable from inside. For `bastion` the bridge is the bastion's edge network; for `direct` it is
the nodes' network. Docker itself is reached through its Unix socket, which no namespace hides.

Every object made here is named with a prefix of the caller's choice (the tests use `esdb-acc-`), and
`close()` removes all of them, also after a partial setup.
"""
import ipaddress
import json
import subprocess
import sys

CONNECT_PROBE = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
except OSError as exc:
    print(type(exc).__name__, exc)
    sys.exit(1)
"""


def _run(args, check=True):
    return subprocess.run(args, capture_output=True, text=True, check=check)


class DockerNetwork:
    """A Docker bridge network whose Linux bridge has a known name (at most 15 characters)."""

    def __init__(self, name, subnet, bridge=None):
        self.name, self.subnet = name, ipaddress.ip_network(subnet)
        self.bridge = bridge or name[:15]
        if len(self.bridge) > 15:
            raise ValueError("bridge name %r is longer than 15 characters" % self.bridge)

    def create(self):
        _run(["docker", "network", "create", "--driver", "bridge", "--subnet", str(self.subnet),
              "-o", "com.docker.network.bridge.name=" + self.bridge, self.name])
        return self

    def remove(self):
        _run(["docker", "network", "rm", self.name], check=False)

    def exists(self):
        return _run(["docker", "network", "inspect", self.name], check=False).returncode == 0


class ControllerNamespace:
    """`ip netns` namespace `name` attached to `network` (a DockerNetwork) at `address`."""

    def __init__(self, name, network, address):
        self.name, self.network = name, network
        self.address = ipaddress.ip_address(address)
        if self.address not in network.subnet:
            raise ValueError("%s is not in %s" % (address, network.subnet))
        # The host end lives in the root namespace, next to Docker's own veths: a short unique name.
        self.host_end = ("v" + name.replace("esdb-", ""))[:15]
        self._processes = []

    def open(self):
        try:
            _run(["ip", "netns", "add", self.name])
            _run(["ip", "link", "add", self.host_end, "type", "veth", "peer", "name", "eth0", "netns", self.name])
            _run(["ip", "link", "set", self.host_end, "master", self.network.bridge, "up"])
            prefix = self.network.subnet.prefixlen
            self.ip("addr", "add", "%s/%d" % (self.address, prefix), "dev", "eth0")
            self.ip("link", "set", "lo", "up")
            self.ip("link", "set", "eth0", "up")
        except subprocess.CalledProcessError as exc:
            self.close()
            raise RuntimeError("namespace %s: %s failed: %s" % (self.name, " ".join(exc.cmd), exc.stderr)) from exc
        return self

    def ip(self, *args):
        return _run(["ip", "-n", self.name] + list(args))

    def command(self, args):
        """`args` run inside the namespace."""
        return ["ip", "netns", "exec", self.name] + list(args)

    def run(self, args, **kwargs):
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        kwargs.setdefault("check", False)
        return subprocess.run(self.command(args), **kwargs)  # pylint: disable=subprocess-run-check

    def start(self, args, **kwargs):
        """A background process inside the namespace (such as moto_server); stopped by close()."""
        process = subprocess.Popen(self.command(args), start_new_session=True, **kwargs)
        self._processes.append(process)
        return process

    def connect(self, host, port, timeout=2.0):
        """None when a TCP connection from inside succeeds, else the error inside said why."""
        result = self.run([sys.executable, "-c", CONNECT_PROBE, str(host), str(port), str(timeout)])
        return None if result.returncode == 0 else (result.stdout + result.stderr).strip()

    def routes(self):
        return json.loads(self.ip("-j", "route").stdout or "[]")

    def close(self):
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        self._processes = []
        # Deleting the namespace deletes its veth end, and with it the host end.
        _run(["ip", "netns", "del", self.name], check=False)
        _run(["ip", "link", "del", self.host_end], check=False)

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()


def namespaces():
    """Names of the namespaces `ip netns` lists."""
    return [line.split()[0] for line in _run(["ip", "netns", "list"], check=False).stdout.splitlines() if line]
