"""Leader elections: a Paxos-like exchange over node-to-node HTTP(S), each phase needing a quorum.

A node without a leader coordinates a round: Prepare (voters promise view V and send their data),
Proposal (the best candidate by 22.10's order is proposed; voters accept unless it has less data than
they do), then Done (everyone adopts the winner). Read-only replicas never vote or stand.
"""
import ipaddress
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .log import LOG
from .transport import PeerError

ORDER = ("epochNumber", "writerCheckpoint", "chaserCheckpoint", "nodePriority", "instanceId")


def _endpoint_order(member):
    """22.10 orders the election members by HTTP endpoint with its IPComparer: address bytes, then port."""
    try:
        address = ipaddress.ip_address(member["httpHost"]).packed
    except ValueError:  # a DNS name
        address = member["httpHost"].encode()
    return address, member["httpPort"]


def rank(info):
    return tuple(info[key] for key in ORDER)


def best_candidate(offers):
    """22.10's GetBestLeaderCandidate: skip read-only replicas and resigning leaders; keep a live leader;
    otherwise the highest epoch number, writer checkpoint, chaser checkpoint, node priority, instance id."""
    resigning = {offer.get("resigningId") for offer in offers} - {None}
    eligible = [o for o in offers if not o["isReadOnlyReplica"] and o["instanceId"] not in resigning]
    leaders = [o for o in eligible if o["state"] == "Leader"]
    pool = leaders or eligible
    return max(pool, key=rank) if pool else None


class Elections:
    def __init__(self, node):
        self.node = node
        self.timeout = node.config.LeaderElectionTimeoutMs / 1000.0
        self.view = 0
        self.attempted = 0
        self.accepted = {}
        self.resigning_id = None
        self.running = False
        self.pending = False
        self.next_attempt = 0.0
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="elections")

    # Voter side, called by the HTTP handlers under node.lock.

    def on_prepare(self, body):
        if self.node.config.ReadOnlyReplica or body["view"] <= self.view:
            return {"ok": False, "view": self.view}
        self.view = body["view"]
        return {"ok": True, "view": self.view, "offer": self.offer()}

    def on_proposal(self, body):
        candidate = body["leader"]
        mine = self.offer()
        chosen = self.accepted.get(body["view"], candidate["instanceId"])
        # A voter refuses a leader with less data than itself, unless it is the leader stepping aside.
        legitimate = (candidate["epochNumber"], candidate["writerCheckpoint"]) >= \
            (mine["epochNumber"], mine["writerCheckpoint"]) or candidate["instanceId"] == mine["instanceId"] \
            or self.resigning_id == mine["instanceId"]
        if body["view"] != self.view or chosen != candidate["instanceId"] or not legitimate:
            return {"ok": False, "view": self.view}
        self.accepted[body["view"]] = chosen
        return {"ok": True, "view": self.view}

    def on_done(self, body):
        if body["view"] < self.view:
            return {"ok": False, "view": self.view}
        self.view = body["view"]
        LOG.info("ELECTIONS: (V={view}) DONE. ELECTED LEADER = {leader}.", view=self.view,
                 leader="%s:%s {%s}" % (body["leader"]["httpHost"], body["leader"]["httpPort"],
                                        body["leader"]["instanceId"]))
        self.node.elected(body["leader"])
        return {"ok": True, "view": self.view}

    def on_resigning(self, body):
        self.resigning_id = body["leaderId"]
        return {"ok": True}

    def offer(self):
        me = self.node.refresh_me()
        offer = {key: me[key] for key in ORDER + ("state", "isReadOnlyReplica", "httpHost", "httpPort")}
        offer["resigningId"] = self.resigning_id
        return offer

    # Coordinator side.

    def request(self):
        """Ask for a round (22.10's StartElections); it starts at the next tick the retry delay allows."""
        self.pending = True

    def tick(self):
        """Called by the controller under node.lock: start a requested round if none runs."""
        if not self.pending or self.running or time.monotonic() < self.next_attempt:
            return
        self.pending = False
        self.running = True
        threading.Thread(target=self._round, name="election-round", daemon=True).start()

    def _round(self):
        try:
            won = self._attempt()
        except Exception as exc:  # pylint: disable=broad-except
            LOG.error("ELECTIONS: round failed: {error}", error=str(exc))
            won = False
        with self.node.lock:
            self.running = False
            delay = 0.05 if won else self.timeout * random.uniform(0.5, 1.0)
            self.next_attempt = time.monotonic() + delay

    def _call(self, voters, path, body):
        def post(voter):
            try:
                return self.node.transport.post(voter["httpHost"], voter["httpPort"], path, body, self.timeout)
            except PeerError:
                return None
        return list(self._pool.map(post, voters))

    def _attempt(self):
        node = self.node
        with node.lock:
            self.attempted = max(self.attempted, self.view) + 1
            view = self.attempted
            electors = [m for m in node.gossip.alive_members() if not m["isReadOnlyReplica"]
                        and m["instanceId"] != "00000000-0000-0000-0000-000000000000"]
            leads = self._leads_round(view, electors)
            if leads:
                self.view = view
            voters = [m for m in electors if m["instanceId"] != node.me["instanceId"]]
        # Every node shifts to the election (22.10 ElectionsService.cs l.256-257); only one may prepare a given
        # view: the alive potential leaders' [view % count] by HTTP endpoint, descending (l.298-301 and 345-351,
        # AmILeaderOf). The others wait for its Prepare, or for the next view when it does not come.
        LOG.info("ELECTIONS: (V={view}) SHIFT TO LEADER ELECTION.", view=view)
        if not leads:
            return False
        with node.lock:
            offers = [self.offer()]
        replies = self._call(voters, "/elections/prepare", {"view": view})
        promised = [v for v, r in zip(voters, replies) if r and r.get("ok")]
        offers += [r["offer"] for r in replies if r and r.get("ok")]
        self._learn_views(replies)
        if len(offers) < node.config.quorum:
            LOG.debug("ELECTIONS: (V={view}) NO QUORUM OF PREPARE-OKS ({count}).", view=view, count=len(offers))
            return False
        candidate = best_candidate(offers)
        if candidate is None:
            return False
        LOG.info("ELECTIONS: (V={view}) PROPOSING {candidate}.", view=view,
                 candidate="%s:%s {%s}" % (candidate["httpHost"], candidate["httpPort"], candidate["instanceId"]))
        body = {"view": view, "leader": candidate}
        with node.lock:
            own = self.on_proposal(body)
        replies = self._call(promised, "/elections/proposal", body)
        self._learn_views(replies)
        accepts = int(own["ok"]) + sum(1 for r in replies if r and r.get("ok"))
        if accepts < node.config.quorum:
            return False
        everyone = [m for m in node.gossip.alive_members() if not m["isReadOnlyReplica"]
                    and m["instanceId"] != node.me["instanceId"]]
        self._call(everyone, "/elections/done", body)
        with node.lock:
            self.on_done(body)
        return True

    def _leads_round(self, view, electors):
        """Whether this node is view `view`'s proposer among `electors` (it counts itself if not listed)."""
        me = self.node.me
        if all(m["instanceId"] != me["instanceId"] for m in electors):
            electors = electors + [me]
        ordered = sorted(electors, key=_endpoint_order, reverse=True)
        return ordered[view % len(ordered)]["instanceId"] == me["instanceId"]

    def _learn_views(self, replies):
        with self.node.lock:
            for reply in replies:
                if reply and reply.get("view", 0) > self.view:
                    self.view = reply["view"]

    def resign(self, voters):
        """Tell the voters this leader is resigning; True once a quorum (with us) acknowledged."""
        leader_id = self.node.me["instanceId"]
        self.resigning_id = leader_id
        replies = self._call(voters, "/elections/resigning", {"leaderId": leader_id})
        return 1 + sum(1 for r in replies if r and r.get("ok")) >= self.node.config.quorum
