"""The node's side of replication: the leader assigns roles to subscribers; a replica tracks its leader.

Mixed into Node; every method takes the node lock.
"""
import time

from .log import LOG, Plain
from .member import endpoint
from .twin_settings import catchup_bytes_per_second

FOLLOWING = ("PreReplica", "CatchingUp", "Follower", "Clone")


class ReplicationRoles:
    # Leader side of replication.

    def assign_replica(self, info):
        with self.lock:
            base = {"leaderId": self.me["instanceId"]}
            if self.role != "Leader":
                return dict(base, role="NotLeader")
            if info.get("isReadOnlyReplica"):
                role = "ReadOnlyReplica"
            # A replica that subscribes again keeps its own slot: 22.10 ends the old subscription when its
            # connection closes and judges a subscriber only once it has caught up (LeaderReplicationService.cs).
            elif sum(1 for sub, r in self.subscriptions.items()
                     if r == "Follower" and sub != info["instanceId"]) < self.config.ClusterSize - 1:
                role = "Follower"
            elif self.config.UnsafeAllowSurplusNodes:
                role = "Clone"
            else:
                LOG.debug("There is a surplus of nodes in the cluster. Dropped clone: {subscriber}.",
                          subscriber=info["instanceId"])
                return dict(base, role="Drop")
            self.subscriptions[info["instanceId"]] = role
            return dict(base, role=role, **self.leader_checkpoints())

    def release_replica(self, instance_id):
        with self.lock:
            self.subscriptions.pop(instance_id, None)

    def still_serves(self, instance_id):
        with self.lock:
            return self.role in ("Leader", "ResigningLeader") and instance_id in self.subscriptions

    def leader_checkpoints(self):
        state = self.state
        return {"writerCheckpoint": state.writer_checkpoint, "epochNumber": state.epoch_number,
                "epochPosition": state.epoch_position, "epochId": state.epoch_id,
                "users": state.users, "usersVersion": state.users_version}

    # Replica side of replication.

    def subscription_info(self):
        return {"instanceId": self.me["instanceId"], "isReadOnlyReplica": self.config.ReadOnlyReplica,
                "writerCheckpoint": self.state.writer_checkpoint}

    def following(self, leader_id):
        with self.lock:
            return not self._stopped.is_set() and self.leader_id == leader_id and \
                (self.role in FOLLOWING or self.role in ("PreReadOnlyReplica", "ReadOnlyReplica"))

    def replica_assigned(self, leader_id, assignment):
        """The leader sends what the replica lacks from its writer checkpoint up to the leader's, at the twin's
        catch-up rate; the replica is a Follower (or Clone, ReadOnlyReplica) only once it has all of it."""
        with self.lock:
            if not self.following(leader_id):
                return
            own = min(self.state.writer_checkpoint, assignment["writerCheckpoint"])
            self._catchup = {"from": own, "target": assignment["writerCheckpoint"], "since": time.monotonic(),
                             "rate": catchup_bytes_per_second()}
            if self.role == "PreReplica":
                self._become("CatchingUp", "IS CATCHING UP... LEADER IS [{leader}]",
                             leader=Plain("%s:%s" % endpoint(self.leader)))

    def _caught_up_to(self, checkpoints):
        """Our writer checkpoint while catching up; the leader's once we have everything it had."""
        catchup = getattr(self, "_catchup", None)
        if catchup is None:
            return checkpoints["writerCheckpoint"]
        received = catchup["from"] + int((time.monotonic() - catchup["since"]) * catchup["rate"])
        if received < catchup["target"]:
            return received
        self._catchup = None
        return checkpoints["writerCheckpoint"]

    def replica_heartbeat(self, leader_id, role, checkpoints):
        with self.lock:
            if not self.following(leader_id):
                return
            state = self.state
            if "users" in checkpoints:
                state.adopt_users(checkpoints["users"], checkpoints["usersVersion"])
            position = self._caught_up_to(checkpoints)
            state.writer_checkpoint = state.chaser_checkpoint = position
            if position < checkpoints["writerCheckpoint"] and getattr(self, "_catchup", None) is not None:
                return
            state.epoch_number, state.epoch_position = checkpoints["epochNumber"], checkpoints["epochPosition"]
            state.epoch_id = checkpoints["epochId"]
            if self.role in ("CatchingUp", "PreReadOnlyReplica") and self.role != role:
                names = {"Follower": "IS FOLLOWER...", "Clone": "IS CLONE...",
                         "ReadOnlyReplica": "IS READ ONLY REPLICA..."}
                self._become(role, names[role] + " LEADER IS [{leader}]",
                             leader=Plain("%s:%s" % endpoint(self.leader)))

    def replica_lost(self, leader_id):
        with self.lock:
            if not self.following(leader_id):
                return
            if self.role in ("CatchingUp", "Follower", "Clone", "ReadOnlyReplica"):
                LOG.info("Looks like node [{nodeEndPoint}] is DEAD (TCP connection lost). Issuing a gossip to "
                         "confirm.", nodeEndPoint=Plain("%s:%s" % endpoint(self.leader)))
                back = "PreReadOnlyReplica" if self.config.ReadOnlyReplica else "PreReplica"
                self._become(back, "LOST THE CONNECTION TO THE LEADER, RECONNECTING...")
            leader = self.leader
        self.gossip.confirm(leader)
