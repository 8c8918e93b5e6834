"""The internal TCP channel (IntIp:IntTcpPort): replicas subscribe to the leader and both sides heartbeat.

Line protocol (emulator-private): the replica sends `SUBSCRIBE <json>` (its writer checkpoint and epochs), the
leader answers `ASSIGN <json>` (Follower, Clone, ReadOnlyReplica, Drop or NotLeader, and the subscription
position), then sends the log from that position as `DATA <json>` (records, commit point) and, every
IntTcpHeartbeatInterval, `HB <json>`; the replica answers each with `ACK <json>` (its writer checkpoint, once the
records are on its disk). What the replica lacked when it subscribed is sent at ESDB_TWIN_CATCHUP_BYTES_PER_S,
what the leader writes after that at once. Silence longer than interval + IntTcpHeartbeatTimeout closes the
connection. In secure mode the connection is TLS and both ends must hold node certificates.
"""
import json
import select
import socket
import ssl
import threading
import time

from .log import LOG, Plain
from .member import endpoint
from .transport import PeerError
from .twin_settings import catchup_bytes_per_second

RECONNECT_DELAY = 0.5
BATCH_BYTES = 65536
POLL = 0.01


def _send(stream, verb, body=None):
    stream.sendall(("%s %s\n" % (verb, json.dumps(body)) if body is not None else verb + "\n").encode("utf-8"))


def _receive(reader):
    line = reader.readline()
    if not line:
        raise ConnectionError("connection closed")
    verb, _space, rest = line.decode("utf-8").strip().partition(" ")
    return verb, (json.loads(rest) if rest else None)


class ReplicationServer:
    def __init__(self, node, server_context):
        self.node = node
        config = node.config
        self.interval = config.IntTcpHeartbeatInterval / 1000.0
        self.silence = (config.IntTcpHeartbeatInterval + config.IntTcpHeartbeatTimeout) / 1000.0
        self.context = server_context
        self.listener = socket.create_server((config.IntIp, config.IntTcpPort), reuse_port=False)
        self._closing = threading.Event()

    def start(self):
        threading.Thread(target=self._accept, name="int-tcp", daemon=True).start()

    def stop(self):
        self._closing.set()
        self.listener.close()

    def _accept(self):
        while not self._closing.is_set():
            try:
                conn, address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, address), daemon=True).start()

    def _serve(self, conn, address):
        conn.settimeout(self.silence)
        subscriber = None
        try:
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
                if not self.node.identity.is_node(conn.getpeercert()):
                    LOG.error("Rejected the internal TCP connection from {remote}: the client did not present a "
                              "node certificate.", remote="%s:%s" % address[:2])
                    return
            reader = conn.makefile("rb")
            verb, info = _receive(reader)
            if verb != "SUBSCRIBE":
                return
            subscriber = info["instanceId"]
            assignment = self.node.assign_replica(info)
            _send(conn, "ASSIGN", assignment)
            if assignment["role"] in ("Drop", "NotLeader"):
                subscriber = None
                return
            self._stream(conn, reader, subscriber, assignment)
        except (OSError, ssl.SSLError, ValueError, KeyError, TypeError, ConnectionError):
            pass
        finally:
            if subscriber:
                self.node.release_replica(subscriber)
            conn.close()

    def _stream(self, conn, reader, subscriber, assignment):
        log = self.node.state.log
        start = position = assignment["subscriptionPosition"]
        target, since = assignment["writerCheckpoint"], time.monotonic()
        rate = assignment.get("catchupBytesPerSecond") or catchup_bytes_per_second()
        last_heartbeat = 0.0
        while not self._closing.is_set() and self.node.still_serves(subscriber):
            now = time.monotonic()
            if position < target:
                # Catching up: the bytes it lacked at subscription time arrive at the twin's catch-up rate.
                allowed = int((now - since) * rate) - (position - start)
                records = log.since(position, min(allowed, target - position)) if allowed > 0 else []
            else:
                records = log.since(position, BATCH_BYTES)
            if records:
                _send(conn, "DATA", dict(self.node.leader_checkpoints(), records=records))
                position = records[-1]["pos"] + records[-1]["size"]
            elif now - last_heartbeat >= self.interval:
                _send(conn, "HB", self.node.leader_checkpoints())
                last_heartbeat = now
            else:
                if _closed_within(conn, POLL):
                    return
                continue
            verb, ack = _receive(reader)
            if verb != "ACK":
                return
            self.node.replica_acked(subscriber, ack["writerCheckpoint"])


def _closed_within(conn, seconds):
    """Wait up to `seconds`; True as soon as the replica closes the connection. A dead replica's TCP close
    reaches the leader at once, as in 22.10, so its subscription ends before a restarted one subscribes."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        readable, _unused, _unused2 = select.select([conn], [], [], left)
        if not readable:
            return False
        # Readable: the peer closed, or (TLS) a record without application data arrived.
        timeout = conn.gettimeout()
        conn.setblocking(False)
        try:
            return conn.recv(1) == b""
        except (ssl.SSLWantReadError, BlockingIOError):
            continue
        except OSError:
            return True
        finally:
            conn.settimeout(timeout)


class ReplicaClient:
    """Follows one leader until the node changes leader or stops."""

    def __init__(self, node, leader):
        self.node = node
        self.leader = leader
        config = node.config
        self.silence = (config.IntTcpHeartbeatInterval + config.IntTcpHeartbeatTimeout) / 1000.0
        self.connect_timeout = config.GossipTimeoutMs / 1000.0

    def start(self):
        threading.Thread(target=self._run, name="replica", daemon=True).start()

    def _connect(self):
        host = self.leader["internalTcpHost"]
        port = self.leader["internalSecureTcpPort"] or self.leader["internalTcpPort"]
        if self.node.transport.identity is None:
            conn = socket.create_connection((host, port), timeout=self.connect_timeout)
        else:
            conn = self.node.transport.connect_tls(host, port, self.connect_timeout)
        conn.settimeout(self.silence)
        return conn

    def _run(self):
        leader_id = self.leader["instanceId"]
        while self.node.following(leader_id):
            try:
                conn = self._connect()
            except (OSError, PeerError) as exc:
                LOG.info("Connection to leader [{leader}] failed: {error}", error=str(exc),
                         leader="%s:%s" % (self.leader["internalTcpHost"], self.leader["internalSecureTcpPort"]
                                           or self.leader["internalTcpPort"]))
                self.node.replica_lost(leader_id)
                self.node.sleep(RECONNECT_DELAY)
                continue
            try:
                self._session(conn, leader_id)
            except (OSError, ssl.SSLError, ValueError, KeyError, TypeError, ConnectionError):
                pass
            finally:
                conn.close()
            if self.node.following(leader_id):
                self.node.replica_lost(leader_id)
                self.node.sleep(RECONNECT_DELAY)

    def _session(self, conn, leader_id):
        reader = conn.makefile("rb")
        _send(conn, "SUBSCRIBE", self.node.subscription_info())
        verb, assignment = _receive(reader)
        if verb == "ASSIGN" and assignment["role"] == "Drop":
            # 22.10 ClusterVNodeController.cs l.1191-1201: a surplus node the leader drops shuts down.
            LOG.info("========== [{http}] DROP SUBSCRIPTION REQUEST RECEIVED FROM [{leader},{leader_id}]. THIS MEANS "
                     "THAT THERE IS A SURPLUS OF NODES IN THE CLUSTER, SHUTTING DOWN.",
                     http=Plain("%s:%s" % endpoint(self.node.me)), leader=Plain("%s:%s" % (
                         self.leader["internalTcpHost"], self.leader["internalSecureTcpPort"]
                         or self.leader["internalTcpPort"])), leader_id=leader_id)
            self.node.shutdown()
            return
        if verb != "ASSIGN" or assignment["role"] == "NotLeader":
            return
        if not self.node.replica_assigned(leader_id, assignment):
            return
        while self.node.following(leader_id):
            verb, message = _receive(reader)
            if verb not in ("HB", "DATA"):
                return
            writer = self.node.replica_received(leader_id, assignment["role"], message.get("records"), message)
            _send(conn, "ACK", {"writerCheckpoint": writer})
