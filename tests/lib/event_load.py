"""A continuous writer and a verifier over EventStoreDB 22.10's AtomPub HTTP API, for tests and benchmarks.

The writer behaves like a careful client: one event per request, each with its own event id, kept across retries
(22.10 deduplicates by event id, so a retry of a write whose answer was lost is not written twice); it moves to the
Location of a 307, and on 503 (not ready), 500 (write timeout), connection errors and timeouts it retries on the
next node after a short pause. Only 201 Created counts as acknowledged. The verifier reads every stream back from
every node and reports acknowledged events that are missing or present more than once.

Targets are objects with `request(method, path, **kwargs)` (returning a `requests` response) and `ip`, such as
tests/lib/emu_cluster.Node or HttpNode (any node by address, for Docker-hosted clusters).
"""
import json
import threading
import time
import uuid
from urllib.parse import urlsplit

import requests

EVENTS_JSON = "application/vnd.eventstore.events+json"
ATOM_JSON = "application/vnd.eventstore.atom+json"
PAGE = 100


class HttpNode:  # pylint: disable=too-few-public-methods
    """A node at host:port over http or https (verified with `ca`), as `auth` (user, password) when given."""

    def __init__(self, address, scheme="https", ca=None, auth=None):
        self.address, self.scheme, self.ca, self.auth = address, scheme, ca, auth
        self.ip = address.rsplit(":", 1)[0]

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 5)
        kwargs.setdefault("verify", self.ca or False)
        kwargs.setdefault("auth", self.auth)
        return requests.request(method, "%s://%s%s" % (self.scheme, self.address, path), **kwargs)


def append(node, stream, events, expected_version=None, headers=None, timeout=10):
    """POST events ([{eventId, eventType, data}]) to a stream on one node; the raw response."""
    sent = {"Content-Type": EVENTS_JSON}
    if expected_version is not None:
        sent["ES-ExpectedVersion"] = str(expected_version)
    sent.update(headers or {})
    return node.request("POST", "/streams/%s" % stream, data=json.dumps(events), headers=sent, timeout=timeout,
                        allow_redirects=False)


def event(event_type="load", data=None):
    return {"eventId": str(uuid.uuid4()), "eventType": event_type, "data": data if data is not None else {}}


def read_stream(node, stream, timeout=10):
    """Every event of a stream as one node serves it, oldest first: [(eventNumber, eventId)]; [] when 404."""
    found, start = [], 0
    while True:
        response = node.request("GET", "/streams/%s/%d/forward/%d?embed=body" % (stream, start, PAGE),
                                headers={"Accept": ATOM_JSON}, timeout=timeout)
        if response.status_code == 404:
            return found
        response.raise_for_status()
        entries = sorted(response.json()["entries"], key=lambda e: e["eventNumber"])
        found.extend((e["eventNumber"], e["eventId"]) for e in entries)
        if len(entries) < PAGE:
            return found
        start = entries[-1]["eventNumber"] + 1


class Writer:
    """Writes events to `streams` streams round-robin from a thread until stop(); records what was acknowledged."""

    def __init__(self, nodes, streams=3, prefix="load", pause=0.0, retry_pause=0.1, timeout=5):
        self.nodes, self.prefix, self.pause, self.retry_pause, self.timeout = list(nodes), prefix, pause, retry_pause, timeout
        self.stream_names = ["%s-%d" % (prefix, i) for i in range(streams)]
        self.acknowledged = {name: [] for name in self.stream_names}
        self.attempts = self.retries = 0
        self.longest_outage = 0.0
        self.errors = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-writer", daemon=True)
        self._target = 0

    def start(self):
        self._thread.start()
        return self

    def stop(self, timeout=30):
        self._stop.set()
        self._thread.join(timeout)
        return self

    @property
    def count(self):
        return sum(len(ids) for ids in self.acknowledged.values())

    def _run(self):
        index = 0
        last_ack = time.monotonic()
        while not self._stop.is_set():
            stream = self.stream_names[index % len(self.stream_names)]
            index += 1
            if self._write_one(stream, event(data={"n": index})):
                now = time.monotonic()
                self.longest_outage = max(self.longest_outage, now - last_ack)
                last_ack = now
            if self.pause:
                self._stop.wait(self.pause)

    def _write_one(self, stream, one):
        """Retries the same event until acknowledged (True) or the writer is stopped (False)."""
        node = self.nodes[self._target % len(self.nodes)]
        while not self._stop.is_set():
            self.attempts += 1
            try:
                response = append(node, stream, [one], timeout=self.timeout)
                status = response.status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            if status == 201:
                self.acknowledged[stream].append(one["eventId"])
                return True
            self.retries += 1
            self.errors[str(status)] = self.errors.get(str(status), 0) + 1
            if status == 307:
                node = self._node_at(response.headers.get("Location")) or node
                continue
            self._target += 1
            node = self.nodes[self._target % len(self.nodes)]
            self._stop.wait(self.retry_pause)
        return False

    def _node_at(self, location):
        host = urlsplit(location or "").hostname
        return next((n for n in self.nodes if n.ip == host), None)


def verify(nodes, acknowledged):
    """{node ip: {"missing": [...], "duplicated": [...], "events": n}} for every node: an acknowledged event id is
    missing when the node's stream lacks it, duplicated when the stream holds it more than once."""
    report = {}
    for node in nodes:
        missing, duplicated, total = [], [], 0
        for stream, ids in acknowledged.items():
            held = [event_id for _number, event_id in read_stream(node, stream)]
            total += len(held)
            counts = {}
            for event_id in held:
                counts[event_id] = counts.get(event_id, 0) + 1
            missing.extend(i for i in ids if i not in counts)
            duplicated.extend(i for i in ids if counts.get(i, 0) > 1)
        report[node.ip] = {"missing": missing, "duplicated": duplicated, "events": total}
    return report


def lost(report):
    """True when any node misses or duplicates an acknowledged event, or could not be read (settled_report)."""
    return any(entry.get("error") or entry["missing"] or entry["duplicated"] for entry in report.values())


def settled_report(nodes, acknowledged, timeout=60, pause=1.0):
    """verify() repeated until no node misses or duplicates anything (followers catch up after an operation) or
    `timeout` seconds pass; the last report, with a node that cannot be read reported as {"error": ...}."""
    deadline = time.monotonic() + timeout
    while True:
        report = {}
        for node in nodes:
            try:
                report.update(verify([node], acknowledged))
            except (requests.RequestException, ValueError) as exc:
                report[node.ip] = {"error": "%s: %s" % (type(exc).__name__, exc)}
        if not lost(report) or time.monotonic() >= deadline:
            return report
        time.sleep(pause)


def writes_summary(writer, report):
    """What a test asserts about writes under an operation: acknowledged, per node missing/duplicated, outage."""
    return {"acknowledged": writer.count, "attempts": writer.attempts, "retries": writer.retries, "errors": writer.errors,
            "longest_write_outage_s": round(writer.longest_outage, 2),
            "lost": lost(report),
            "nodes": {ip: ({"error": entry["error"]} if "error" in entry else
                           {"missing": len(entry["missing"]), "duplicated": len(entry["duplicated"]),
                            "events": entry["events"]}) for ip, entry in report.items()}}
