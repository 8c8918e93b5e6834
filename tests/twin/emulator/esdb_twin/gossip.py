"""Gossip: every interval, exchange the cluster view with one peer by POST /gossip, and merge the answer.

The merge rules follow 22.10's GossipServiceBase: a peer knows itself best, otherwise the more up-to-date
entry wins; a failed send marks the peer dead (except the current leader: TCP decides for it); the first
20 rounds run every 100 ms; dead members are pruned after DeadMemberRemovalPeriodSec.
"""
import random
import threading

from . import member as members
from .log import LOG, Plain
from .member import endpoint, is_more_up_to_date, parse_timestamp, placeholder, timestamp, utc_now
from .transport import PeerError

STARTUP_ROUNDS, STARTUP_INTERVAL, DNS_RETRY = 20, 0.1, 1.0
MEMBER_KEYS = set(placeholder("", 0, utc_now()))


def describe(entry):
    return "VND {%s} <%s> [%s, %s:%s] %s/%s/%s/E%s@%s:{%s} | %s" % (
        entry["instanceId"], "LIVE" if entry["isAlive"] else "DEAD", entry["state"], entry["httpHost"],
        entry["httpPort"], entry["lastCommitPosition"], entry["writerCheckpoint"], entry["chaserCheckpoint"],
        entry["epochNumber"], entry["epochPosition"], entry["epochId"], entry["timeStamp"])


def _shape(cluster):
    return sorted((k, m["instanceId"], m["state"], m["isAlive"]) for k, m in cluster.items())


class Gossip:
    def __init__(self, node):
        self.node = node
        config = node.config
        self.interval = config.GossipIntervalMs / 1000.0
        self.allowed_difference = config.GossipAllowedDifferenceMs / 1000.0
        self.dead_removal = config.DeadMemberRemovalPeriodSec
        self.dns_discovery = config.DiscoverViaDns and config.ClusterSize > 1
        self.cluster = {endpoint(node.me): node.me}
        self._stop = threading.Event()

    def start(self):
        threading.Thread(target=self._run, name="gossip", daemon=True).start()

    def stop(self):
        self._stop.set()

    def _run(self):
        if self.dns_discovery:
            # The emulator never resolves ClusterDns, so DNS discovery finds no seeds, like `fake.dns` would.
            while not self._stop.wait(DNS_RETRY):
                LOG.error("Error while retrieving cluster members through DNS.")
            return
        with self.node.lock:
            before = dict(self.cluster)
            now = utc_now()
            for host, port in self.node.config.GossipSeed:
                seed = placeholder(host, port, now)
                self._merge([seed], None)
            self._log_change(before, None)
        rounds = 0
        while not self._stop.is_set():
            target = self._pick()
            if target is not None:
                threading.Thread(target=self._exchange, args=(target,), daemon=True).start()
                rounds += 1
            self._stop.wait(STARTUP_INTERVAL if rounds < STARTUP_ROUNDS else self.interval)

    def _pick(self):
        with self.node.lock:
            others = [m for m in self.cluster.values() if m["instanceId"] != self.node.me["instanceId"]]
        return random.choice(others) if others else None

    def snapshot(self):
        with self.node.lock:
            self.node.refresh_me()
            return [dict(m) for m in self.cluster.values()]

    def _exchange(self, target, confirming=False):
        host, port = endpoint(target)
        body = {"server": {"host": self.node.me["httpHost"], "port": self.node.me["httpPort"]},
                "members": self.snapshot()}
        try:
            reply = self.node.transport.post(host, port, "/gossip", body)
            if not isinstance(reply, dict):
                raise PeerError("the answer to a gossip was not a JSON object")
        except PeerError as exc:
            self._send_failed(target, str(exc), confirming)
            return
        if confirming:
            LOG.info("Gossip Received, The node [{nodeEndpoint}] is not DEAD.", nodeEndpoint="%s:%s" % (host, port))
        self.received(reply, "gossip received from [%s:%s]" % (host, port))

    def confirm(self, target):
        """22.10's reaction to a lost TCP connection: gossip once to see whether the node is really dead."""
        threading.Thread(target=self._exchange, args=(target, True), daemon=True).start()

    def _send_failed(self, target, reason, confirming):
        key = endpoint(target)
        peer = "%s:%s" % key
        with self.node.lock:
            current = self.cluster.get(key)
            if current is None or not current["isAlive"]:
                return
            if confirming:
                LOG.info("Gossip Failed, The node [{nodeEndpoint}] is being marked as DEAD. Reason: {reason}",
                         nodeEndpoint=peer, reason=reason)
            elif current["instanceId"] == self.node.leader_id:
                LOG.info("Leader [{leaderEndPoint}, {instanceId:B}] appears to be DEAD (Gossip send failed); wait "
                         "for TCP to decide.", leaderEndPoint=peer, instanceId="{%s}" % current["instanceId"])
                return
            else:
                LOG.info("Looks like node [{nodeEndPoint}] is DEAD (Gossip send failed).", nodeEndPoint=peer)
            before = dict(self.cluster)
            self.cluster[key] = dict(current, isAlive=False, timeStamp=timestamp(utc_now()))
            self._log_change(before, "gossip send failed to [%s]" % peer)
        self.node.wake()

    def received(self, body, source):
        """Merge a peer's view (its POST /gossip, or its answer to ours); return our merged view."""
        server = body.get("server") or {}
        peer = (server.get("host"), server.get("port"))
        incoming = [m for m in body.get("members") or [] if isinstance(m, dict) and MEMBER_KEYS <= set(m)]
        with self.node.lock:
            before = dict(self.cluster)
            self._merge(incoming, peer)
            self._log_change(before, source)
        self.node.wake()
        return {"server": {"host": self.node.me["httpHost"], "port": self.node.me["httpPort"]},
                "members": self.snapshot()}

    def _merge(self, incoming, peer):
        me = self.node.me
        now = utc_now()
        for entry in incoming:
            key = endpoint(entry)
            if entry["instanceId"] == me["instanceId"] or key == endpoint(me):
                continue
            if peer is not None and key == tuple(peer):
                skew = abs((now - parse_timestamp(entry["timeStamp"])).total_seconds())
                if skew > self.allowed_difference:
                    LOG.error("Time difference between us and [{peerEndPoint}] is too great! UTC now: {dateTime}, "
                              "peer's time stamp: {peerTimestamp}.", peerEndPoint="%s:%s" % key,
                              dateTime=now.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                              peerTimestamp=entry["timeStamp"])
                self.cluster[key] = dict(entry)
                continue
            existing = self.cluster.get(key)
            if existing is None or is_more_up_to_date(entry, existing):
                if existing is not None and entry["instanceId"] == self.node.leader_id:
                    # We do not trust the leader's liveness and state to come from outside.
                    self.cluster[key] = dict(entry, isAlive=existing["isAlive"], state=existing["state"])
                else:
                    self.cluster[key] = dict(entry)
        self._prune(now)

    def _prune(self, now):
        if members.STATES.index(self.node.role) <= members.STATES.index("Unknown") or \
                self.node.role == "ReadOnlyLeaderless":
            return
        for key, entry in list(self.cluster.items()):
            age = (now - parse_timestamp(entry["timeStamp"])).total_seconds()
            if not entry["isAlive"] and age >= self.dead_removal:
                del self.cluster[key]

    def elections_done(self, leader_id):
        """As 22.10 does on ElectionsDone: the winner is Leader in our view, every other member Unknown."""
        with self.node.lock:
            before = dict(self.cluster)
            stamp = timestamp(utc_now())
            for key, entry in self.cluster.items():
                if entry is not self.node.me:
                    state = "Leader" if entry["instanceId"] == leader_id else "Unknown"
                    self.cluster[key] = dict(entry, state=state, timeStamp=stamp)
            self._log_change(before, "Elections Done")

    def _log_change(self, before, source):
        if _shape(before) == _shape(self.cluster):
            return
        old = "\n".join(describe(m) for _k, m in sorted(before.items(), reverse=True))
        new = "\n".join(describe(m) for _k, m in sorted(self.cluster.items(), reverse=True))
        LOG.info("CLUSTER HAS CHANGED {source}\nOld:\n{oldMembers}\nNew:\n{newMembers}",
                 source=source or "", oldMembers=Plain(old), newMembers=Plain(new))

    def alive_members(self):
        with self.node.lock:
            return [dict(m) for m in self.cluster.values() if m["isAlive"]]
