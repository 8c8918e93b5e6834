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
            position = self.subscription_position(info)
            self.acks[info["instanceId"]] = position
            return dict(base, role=role, subscriptionPosition=position,
                        catchupBytesPerSecond=info.get("catchupBytesPerSecond"), **self.leader_checkpoints())

    def release_replica(self, instance_id):
        with self.lock:
            self.subscriptions.pop(instance_id, None)
            self.acks.pop(instance_id, None)

    def still_serves(self, instance_id):
        with self.lock:
            return self.role in ("Leader", "ResigningLeader") and instance_id in self.subscriptions

    def leader_checkpoints(self):
        state = self.state
        return {"writerCheckpoint": state.writer_checkpoint, "commit": state.log.committed,
                "users": state.users, "usersVersion": state.users_version}

    def subscription_position(self, info):
        """Where the replica's log stops agreeing with ours: the end of the last epoch we share, or its writer
        checkpoint if that is earlier (22.10 LeaderReplicationService.cs, GetValidLogPosition)."""
        own = self.state.log.epochs()
        for theirs in reversed(info.get("epochs") or []):
            for index, epoch in enumerate(own):
                if epoch["epochNumber"] == theirs["epochNumber"] and epoch["epochId"] == theirs["epochId"]:
                    after = own[index + 1]["epochPosition"] if index + 1 < len(own) else self.state.writer_checkpoint
                    return min(info["writerCheckpoint"], after)
        return 0

    def replica_acked(self, instance_id, position):
        with self.lock:
            if instance_id in self.subscriptions:
                self.acks[instance_id] = position
                self.ack_times[instance_id] = time.monotonic()
        self.advance_commit()

    def live_quorum(self, now):
        """The leader and the Followers that acknowledged within the heartbeat timeout make a quorum."""
        silence = (self.config.IntTcpHeartbeatInterval + self.config.IntTcpHeartbeatTimeout) / 1000.0
        live = 1 + sum(1 for sub, role in self.subscriptions.items()
                       if role == "Follower" and now - self.ack_times.get(sub, 0.0) <= silence)
        return live >= self.config.quorum

    def advance_commit(self):
        """A write is committed once a quorum of voters (the leader and its Followers) has it on disk."""
        with self.lock:
            if self.role not in ("Leader", "ResigningLeader"):
                return
            positions = [self.state.writer_checkpoint] + [
                self.acks.get(sub, 0) for sub, role in self.subscriptions.items() if role == "Follower"]
            positions.sort(reverse=True)
            if len(positions) >= self.config.quorum:
                self.state.log.commit_to(positions[self.config.quorum - 1])

    # Replica side of replication.

    def subscription_info(self):
        return {"instanceId": self.me["instanceId"], "isReadOnlyReplica": self.config.ReadOnlyReplica,
                "writerCheckpoint": self.state.writer_checkpoint, "epochs": self.state.log.epochs(),
                # Twin-only: the replica's ESDB_TWIN_CATCHUP_BYTES_PER_S paces what it lacks.
                "catchupBytesPerSecond": catchup_bytes_per_second()}

    def following(self, leader_id):
        with self.lock:
            return not self._stopped.is_set() and self.leader_id == leader_id and \
                (self.role in FOLLOWING or self.role in ("PreReadOnlyReplica", "ReadOnlyReplica"))

    def replica_assigned(self, leader_id, assignment):
        """The leader subscribed us at a position; we lack what lies between our writer checkpoint and its."""
        with self.lock:
            if not self.following(leader_id):
                return False
            if assignment["subscriptionPosition"] < self.state.writer_checkpoint:
                self._truncate_and_exit(assignment)
                return False
            self._catchup = {"target": assignment["writerCheckpoint"]}
            if self.role == "PreReplica":
                self._become("CatchingUp", "IS CATCHING UP... LEADER IS [{leader}]",
                             leader=Plain("%s:%s" % endpoint(self.leader)))
            return True

    def _truncate_and_exit(self, assignment):
        """ClusterStorageWriterService.cs l.106-170: truncate.chk is written and the node exits (code 0); the
        truncation itself happens at the next start (ClusterVNode.cs l.627-637)."""
        position, writer = assignment["subscriptionPosition"], self.state.writer_checkpoint
        LOG.info("Leader [{leader}] subscribed us at {subscriptionPosition}, which is less than our writer checkpoint "
                 "{writerCheckpoint}. TRUNCATION IS NEEDED.", leader=Plain("%s:%s" % endpoint(self.leader)),
                 subscriptionPosition=position, writerCheckpoint=writer)
        LOG.info("OFFLINE TRUNCATION IS NEEDED (SubscribedAt {subscriptionPosition} <= LastCommitPosition "
                 "{lastCommitPosition}). SHUTTING DOWN NODE.", subscriptionPosition=position,
                 lastCommitPosition=self.state.log.committed)
        LOG.info("Setting the truncate checkpoint to: {truncatePosition}", truncatePosition=position)
        self.state.log.write_checkpoint("truncate.chk", position)
        self.leader = None
        self.shutdown()

    def replica_received(self, leader_id, role, records, checkpoints):
        """Records (or a heartbeat) from the leader: append, take its commit point, and become `role` once we
        have everything the leader had when we subscribed. Returns our writer checkpoint for the ack."""
        with self.lock:
            if not self.following(leader_id):
                raise ConnectionError("no longer following")
            state = self.state
            if records:
                state.log.append_replicated(records)
            if "users" in checkpoints:
                state.adopt_users(checkpoints["users"], checkpoints["usersVersion"])
            state.log.commit_to(checkpoints.get("commit", 0))
            catchup = self._catchup
            if catchup is not None and state.writer_checkpoint >= catchup["target"]:
                self._catchup = None
            if self._catchup is None and self.role in ("CatchingUp", "PreReadOnlyReplica") and self.role != role:
                names = {"Follower": "IS FOLLOWER...", "Clone": "IS CLONE...",
                         "ReadOnlyReplica": "IS READ ONLY REPLICA..."}
                self._become(role, names[role] + " LEADER IS [{leader}]",
                             leader=Plain("%s:%s" % endpoint(self.leader)))
            return state.writer_checkpoint

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
