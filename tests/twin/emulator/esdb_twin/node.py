"""The node's state machine (22.10's ClusterVNodeController, reduced to what can be observed from outside)."""
import random
import threading
import time
import uuid

from .election import Elections
from .gossip import Gossip
from .log import LOG, Plain
from .member import endpoint, initial_self, timestamp, utc_now
from .replication import ReplicaClient
from .roles import FOLLOWING, ReplicationRoles
from .state import EMPTY_ID
from .transport import Transport

LEADING = ("PreLeader", "Leader", "ResigningLeader")
TICK = 0.05
SIMULATED_WRITE_PERIOD = 0.5


class Node(ReplicationRoles):
    def __init__(self, config, identity, state):
        self.config, self.identity, self.state = config, identity, state
        self.lock = threading.RLock()
        self.role = "Initializing"
        self.leader = None
        self.ready = False
        self.subscriptions = {}
        self.me = initial_self(config, str(uuid.uuid4()), utc_now())
        self.transport = Transport(identity, config.GossipTimeoutMs)
        self.gossip = Gossip(self)
        self.elections = Elections(self)
        self.name = Plain("%s:%s" % endpoint(self.me))
        self._stopped = threading.Event()
        self._wake = threading.Event()
        self._discovery_deadline = 0.0
        self._no_quorum_since = None
        self._next_write = self._next_save = 0.0
        self._adopted_at = 0.0
        self._settle = max(0.5, 2 * config.GossipIntervalMs / 1000.0)
        self._stall = (config.IntTcpHeartbeatInterval + config.IntTcpHeartbeatTimeout) / 1000.0
        self._catchup = None
        self.acks, self.ack_times = {}, {}
        self.exit_code = 0
        self.gossip_started = threading.Event()

    @property
    def leader_id(self):
        return self.leader["instanceId"] if self.leader else None

    def sleep(self, seconds):
        self._stopped.wait(seconds)

    def wake(self):
        self._wake.set()

    def refresh_me(self):
        with self.lock:
            state = self.state
            self.me.update({"state": self.role, "timeStamp": timestamp(utc_now()),
                            "writerCheckpoint": state.writer_checkpoint, "chaserCheckpoint": state.chaser_checkpoint,
                            "lastCommitPosition": state.writer_checkpoint if state.epoch_number >= 0 else -1,
                            "epochNumber": state.epoch_number, "epochPosition": state.epoch_position,
                            "epochId": state.epoch_id})
            return self.me

    def _become(self, role, template, **params):
        self.role = role
        LOG.info("========== [{httpEndPoint}] " + template, httpEndPoint=self.name, **params)
        self.refresh_me()
        self.wake()

    # Start and stop.

    def start(self):
        """SYSTEM START: the listeners are up, so /health/live turns 204 and the state machine begins."""
        LOG.info("========== [{httpEndPoint}] SYSTEM START...", httpEndPoint=self.name)
        self.gossip.start()
        self.gossip_started.set()
        self.ready = True
        with self.lock:
            if self.config.ReadOnlyReplica:
                self._become("ReadOnlyLeaderless", "IS READ ONLY REPLICA WITH UNKNOWN LEADER...")
            elif self.config.ClusterSize > 1:
                # 22.10 waits a fixed 3 s for an existing leader; the emulator caps it at one gossip interval.
                self._discovery_deadline = time.monotonic() + min(3.0, self.config.GossipIntervalMs / 1000.0)
                self._become("DiscoverLeader", "IS ATTEMPTING TO DISCOVER EXISTING LEADER...")
            else:
                self._become("Unknown", "IS UNKNOWN...")
        threading.Thread(target=self._control, name="controller", daemon=True).start()

    def shutdown(self):
        """ShuttingDown at once (/health/live turns 503), then a short drain while peers can still see it."""
        with self.lock:
            if self.role in ("ShuttingDown", "Shutdown"):
                return
            self.ready = False
            self._become("ShuttingDown", "IS SHUTTING DOWN...")
        threading.Thread(target=self._finish_shutdown, name="shutdown", daemon=True).start()

    def _finish_shutdown(self):
        time.sleep(min(1.0, self.config.GossipIntervalMs / 1000.0))
        self.gossip.stop()
        self.state.save()
        with self.lock:
            self._become("Shutdown", "IS SHUT DOWN.")
        self._stopped.set()

    def wait(self):
        self._stopped.wait()

    # The controller loop.

    def _control(self):
        last = time.monotonic()
        while not self._stopped.is_set():
            self._wake.wait(TICK)
            self._wake.clear()
            now = time.monotonic()
            if now - last > self._stall:
                # The process was stalled (SIGSTOP): no simulated write until the cluster has been heard again.
                self._next_write = now + self._stall
            last = now
            with self.lock:
                if self.role not in ("ShuttingDown", "Shutdown"):
                    self._evaluate(now)

    def _alive(self):
        return [m for m in self.gossip.cluster.values() if m["isAlive"] and m["instanceId"] != EMPTY_ID]

    def _alive_leaders(self):
        return [m for m in self._alive() if m["state"] == "Leader"]

    def _evaluate(self, now):
        role = self.role
        voters = [m for m in self._alive() if not m["isReadOnlyReplica"]]
        if role in ("DiscoverLeader", "Unknown"):
            leaders = [m for m in self._alive_leaders() if m["instanceId"] != self.me["instanceId"]]
            if len(leaders) == 1 and leaders[0]["instanceId"] != self.elections.resigning_id:
                LOG.info("Existing LEADER found during LEADER DISCOVERY stage. LEADER: [{leader}]. Proceeding "
                         "to PRE-REPLICA state.", leader=Plain("%s:%s" % endpoint(leaders[0])))
                self._follow(leaders[0])
            elif role == "DiscoverLeader" and now >= self._discovery_deadline:
                LOG.info("LEADER DISCOVERY timed out. Proceeding to UNKNOWN state.")
                self._become("Unknown", "IS UNKNOWN...")
            elif role == "Unknown" and len(voters) >= self.config.quorum:
                self.elections.request()
        elif role in FOLLOWING or role in ("PreReadOnlyReplica", "ReadOnlyReplica"):
            self._check_leader()
        elif role == "ReadOnlyLeaderless":
            leaders = self._alive_leaders()
            if len(leaders) == 1:
                LOG.info("LEADER found in READ ONLY LEADERLESS state. LEADER: [{leader}]. Proceeding to READ ONLY "
                         "PRE-REPLICA state.", leader=Plain("%s:%s" % endpoint(leaders[0])))
                self._follow(leaders[0])
        elif role == "PreLeader":
            self.state.start_epoch()
            self._become("Leader", "IS LEADER... SPARTA!")
            self.advance_commit()
        elif role == "Leader":
            self._lead(now, voters)
        if self.role in ("Unknown", "Leader"):
            self.elections.tick()
        else:
            self.elections.pending = False
        self._persist(now)

    def _check_leader(self):
        current = next((m for m in self.gossip.cluster.values() if m["instanceId"] == self.leader_id), None)
        if current is not None and current["isAlive"] and current["state"] in LEADING:
            return
        # Gossip sent by the winner just before it won can arrive after the election: give it time to catch up.
        if current is not None and current["isAlive"] and time.monotonic() < self._adopted_at + self._settle:
            return
        if current is None or not current["isAlive"]:
            LOG.debug("There is NO LEADER or LEADER is DEAD according to GOSSIP. Starting new elections.")
        else:
            LOG.debug("LEADER node is still alive but is no longer in a LEADER state according to GOSSIP. "
                      "Starting new elections.")
        self.leader = None
        if self.config.ReadOnlyReplica:
            self._become("ReadOnlyLeaderless", "IS READ ONLY REPLICA WITH UNKNOWN LEADER...")
        else:
            self._become("Unknown", "IS UNKNOWN...")

    def _lead(self, now, voters):
        if len(self._alive_leaders()) > 1:
            LOG.debug("There are MULTIPLE LEADERS according to gossip, need to start elections. LEADER: [{leader}]",
                      leader=self.name)
            self.elections.request()
        if len(voters) < self.config.quorum:
            self._no_quorum_since = self._no_quorum_since or now
            if now - self._no_quorum_since >= self.config.GossipTimeoutMs / 1000.0:
                LOG.info("=== NO QUORUM EMERGED WITHIN TIMEOUT... RETIRING...")
                self._no_quorum_since = None
                self.leader = None
                self._become("Unknown", "IS UNKNOWN...")
                return
        else:
            self._no_quorum_since = None
        if now >= self._next_write and self.live_quorum(now):
            self._next_write = now + SIMULATED_WRITE_PERIOD
            # 22.10's own writes (stats, system streams): records no client reads, replicated like any other.
            # Simulated only while a quorum of replication links is live, so that a leader resuming from a stall
            # (SIGSTOP) does not write the twin's filler before it learns of the new leader.
            self.state.log.append([{"kind": "filler", "padTo": random.randint(40, 400)}])
            self.advance_commit()

    def _persist(self, now):
        if now >= self._next_save:
            self._next_save = now + 1.0
            self.state.save()

    # Elections and resignation.

    def elected(self, leader):
        with self.lock:
            self.elections.pending = False
            self.gossip.elections_done(leader["instanceId"])
            if leader["instanceId"] != self.elections.resigning_id:
                self.elections.resigning_id = None
            if leader["instanceId"] == self.me["instanceId"]:
                if self.role not in LEADING:
                    self.leader = self.me
                    self._become("PreLeader", "PRE-LEADER STATE, WAITING FOR CHASER TO CATCH UP...")
                return
            if self.role in FOLLOWING and self.leader_id == leader["instanceId"]:
                return
            member = next((m for m in self.gossip.cluster.values() if m["instanceId"] == leader["instanceId"]),
                          None)
            if member is not None:
                self._follow(member)

    def _follow(self, leader):
        self.leader = dict(leader)
        self._catchup = None
        self._adopted_at = time.monotonic()
        self.subscriptions.clear()
        self.acks.clear()
        where = Plain("%s:%s,{%s}" % (leader["httpHost"], leader["httpPort"], leader["instanceId"]))
        if self.config.ReadOnlyReplica:
            self._become("PreReadOnlyReplica", "READ ONLY PRE-REPLICA STATE, WAITING FOR CHASER TO CATCH UP... "
                         "LEADER IS [{leader}]", leader=where)
        else:
            self._become("PreReplica", "PRE-REPLICA STATE, WAITING FOR CHASER TO CATCH UP... LEADER IS [{leader}]",
                         leader=where)
        ReplicaClient(self, self.leader).start()

    def resign(self):
        with self.lock:
            if self.role != "Leader":
                return
            LOG.info("========== [{httpEndPoint}] IS INITIATING LEADER RESIGNATION...", httpEndPoint=self.name)
            self._become("ResigningLeader", "IS RESIGNING LEADER...")
            voters = [m for m in self._alive() if not m["isReadOnlyReplica"]
                      and m["instanceId"] != self.me["instanceId"]]
        threading.Thread(target=self._finish_resignation, args=(voters,), daemon=True).start()

    def _finish_resignation(self, voters):
        # ClusterVNodeController.cs l.166-183: a resigning leader refuses new writes and hands over only once
        # its request queue has drained, so what it wrote reaches the others first.
        self.state.log.wait_committed(self.state.writer_checkpoint, self.config.WriteTimeoutMs / 1000.0)
        acknowledged = self.elections.resign(voters)
        with self.lock:
            if self.role != "ResigningLeader":
                return
            self.leader = None
            if acknowledged:
                LOG.info("========== [{httpEndPoint}] REQUEST QUEUE DRAINED. RESIGNATION COMPLETE.",
                         httpEndPoint=self.name)
                self._become("Unknown", "IS UNKNOWN...")
            else:
                self.elections.resigning_id = None
                self.leader = self.me
                self._become("Leader", "IS LEADER... SPARTA!")
