"""Scavenging as 22.10 exposes it over HTTP (AdminController.cs l.41-62, 123-261; TFChunkScavengerLog.cs).

- POST /admin/scavenge?startFromChunk=&threads=&threshold=&throttlePercent=&syncOnly= ($admins/$ops, 401
  otherwise): 400 for a bad parameter (22.10's sentences), 400 while one is running (InProgress), else 200 with
  {"scavengeId": ...}. Any node scavenges its own database, in any state but Initializing.
- DELETE /admin/scavenge/{id}: 200 with the id (JSON string) when it is the running one, else 404.
- Progress is only visible as events: `$scavengeStarted` and `$scavengeCompleted` in `$scavenges-{id}`, each
  linked from `$scavenges` (`$>` events "n@$scavenges-{id}"); they are written through the leader like any
  write, so they exist only once a leader has them. GET /streams/$scavenges and
  /streams/$scavenges/{id}/{event}/{count} read them whether or not AtomPub is on; `$scavenges` needs $admins
  (system stream ACL), `$scavenges-{id}` $ops or $admins (its metadata, TFChunkScavengerLog.cs l.66-73).
The twin scavenges nothing away (it has no deletes or $maxAge), so spaceSaved is 0; the run takes about
0.5 s plus 1 s per MB of log.
"""
import json
import re
import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit

from . import events_api
from .log import LOG, Plain
from .state import DEFAULT_USERS
from .transport import PeerError

STOP = re.compile(r"^/admin/scavenge/([^/]+)$")
STREAM = re.compile(r"^/streams/(?:\$|%24)scavenges(?:/([^/]+)/([^/]+)/([^/]+))?$")
SCAVENGER_WRITES = "/twin/scavenge-write"


def _query(api):
    return {k: v[-1] for k, v in parse_qs(urlsplit(api.path).query, keep_blank_values=True).items()}


def _bad(api, text):
    api.reply(400, text, "text/plain; charset=utf-8", reason=text)


def start(api, _path):
    query = _query(api)
    start_chunk, threads = 0, 1
    if "startFromChunk" in query:
        try:
            start_chunk = int(query["startFromChunk"])
        except ValueError:
            start_chunk = -1
        if start_chunk < 0:
            return _bad(api, "startFromChunk must be a positive integer")
    if "threads" in query:
        try:
            threads = int(query["threads"])
        except ValueError:
            threads = 0
        if threads < 1:
            return _bad(api, "threads must be a 1 or above")
    if "threshold" in query and not re.match(r"^-?\d+$", query["threshold"]):
        return _bad(api, "threshold must be an integer")
    if "throttlePercent" in query:
        raw = query["throttlePercent"]
        if not raw.isdigit() or not 0 < int(raw) <= 100:
            return _bad(api, "throttlePercent must be between 1 and 100 inclusive")
        if int(raw) != 100 and threads > 1:
            return _bad(api, "throttlePercent must be 100 for a multi-threaded scavenge")
    if "syncOnly" in query and query["syncOnly"].lower() not in ("true", "false"):
        return _bad(api, "syncOnly must be a boolean")
    node = api.node
    if node.role == "Initializing":
        # ClusterVNodeController.cs l.121: ignored, so the request times out (ESConsts.HttpTimeout).
        time.sleep(10.0)
        return api.reply(408, b"", "text/plain", reason="Server was unable to handle request in time")
    with node.lock:
        running = getattr(node, "scavenge", None)
        if running is not None and not running["done"]:
            return api.reply(400, b"", "text/plain", reason="Bad Request")
        scavenge = {"id": str(uuid.uuid4()), "done": False, "stop": False}
        node.scavenge = scavenge
    LOG.info("Request scavenging because /admin/scavenge?startFromChunk={chunkStartNumber}&threads={numThreads}"
             "&syncOnly={syncOnly} request has been received.", chunkStartNumber=start_chunk, numThreads=threads,
             syncOnly=Plain(query.get("syncOnly", "False")))
    threading.Thread(target=_run, args=(node, scavenge, start_chunk, threads), daemon=True).start()
    return api.json({"scavengeId": scavenge["id"]})


def stop(api, path):
    wanted = STOP.match(path).group(1)
    LOG.info("Stopping scavenge because /admin/scavenge/{scavengeId} DELETE request has been received.",
             scavengeId=wanted)
    node = api.node
    with node.lock:
        running = getattr(node, "scavenge", None)
        if running is None or running["done"] or running["id"] != wanted:
            return api.reply(404, b"", "text/plain", reason="Not Found")
        running["stop"] = True
    return api.reply(200, json.dumps(wanted), "application/json; charset=utf-8")


def _run(node, scavenge, start_chunk, threads):
    began = time.monotonic()
    node_id = "%s:%s" % (node.me["httpHost"], node.me["httpPort"])
    stream = "$scavenges-" + scavenge["id"]
    _scavenger_write(node, stream, "$scavengeStarted", {
        "scavengeId": scavenge["id"], "nodeEndpoint": node_id, "alwaysKeepScavenged": True, "mergeChunks": False,
        "startFromChunk": start_chunk, "threads": threads})
    duration = 0.5 + node.state.writer_checkpoint / 1e6
    while time.monotonic() - began < duration and not scavenge["stop"]:
        time.sleep(0.05)
    elapsed = time.monotonic() - began
    result = "Stopped" if scavenge["stop"] else "Success"
    last_chunk = node.state.writer_checkpoint // node.config.ChunkSize
    _scavenger_write(node, stream, "$scavengeCompleted", {
        "scavengeId": scavenge["id"], "nodeEndpoint": node_id, "result": result, "error": None,
        "timeTaken": "%02d:%02d:%010.7f" % (elapsed // 3600, elapsed % 3600 // 60, elapsed % 60),
        "spaceSaved": 0, "maxChunkScavenged": last_chunk})
    with node.lock:
        scavenge["done"] = True
    LOG.info("Scavenging completed: {result}", result=result)


def _scavenger_write(node, stream, event_type, data):
    """The scavenger writes as the system user (TFChunkScavengerLog.cs): through the leader, then a link."""
    detail = {"eventId": str(uuid.uuid4()), "eventType": event_type, "data": data, "metadata": None,
              "isJson": True}
    number = _system_write(node, stream, [detail])
    if number is None:
        LOG.error("Failed to write an event to the {stream} stream. Retry limit of {retryCount} reached.",
                  stream=stream, retryCount=5)
        return
    link = {"eventId": str(uuid.uuid4()), "eventType": "$>", "data": "%s@%s" % (number, stream),
            "metadata": None, "isJson": False}
    _system_write(node, "$scavenges", [link])


def _system_write(node, stream, events):
    """First event number, or None when no leader took the write."""
    with node.lock:
        role, leader = node.role, node.leader
    if role == "Leader":
        outcome = events_api.write_local(node, stream, events_api.ANY, events)
        return outcome[1] if outcome[0] == "ok" else None
    if leader is None:
        return None
    try:
        reply = node.transport.post(leader["httpHost"], leader["httpPort"], SCAVENGER_WRITES,
                                    {"stream": stream, "events": events})
    except PeerError:
        return None
    return reply.get("first") if isinstance(reply, dict) else None


def on_scavenger_write(node, body):
    """Node call: a replica's scavenger write arrives at the leader (22.10 forwards it over internal TCP)."""
    if node.role != "Leader":
        return {"first": None}
    outcome = events_api.write_local(node, str(body.get("stream")), events_api.ANY, list(body.get("events") or []))
    return {"first": outcome[1] if outcome[0] == "ok" else None}


def read(api, path):
    match = STREAM.match(path)
    scavenge_id, start, count = match.groups()
    stream = "$scavenges" + ("-" + scavenge_id if scavenge_id else "")
    allowed = ("$admins", "$ops") if scavenge_id else ("$admins",)
    if not api.node.config.Insecure and DEFAULT_USERS.get(api.user()) not in allowed:
        return api.reply(401, b"", "text/plain", reason="Unauthorized")
    # The ACL is settled; what remains is whether this node serves reads in its state.
    if events_api.refuse_read(api, "scavenges"):
        return None
    return events_api.serve_feed(api, stream, start or "head", "backward", count or "20")
