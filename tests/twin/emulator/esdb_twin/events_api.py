"""Events over 22.10's AtomPub HTTP API (registered only when EnableAtomPubOverHttp or Dev, ClusterVNode.cs l.1093).

POST /streams/{stream} (application/vnd.eventstore.events+json, ES-ExpectedVersion, ES-RequireLeader) and
GET /streams/{stream}[/{event}[/forward|backward]/{count}] (application/vnd.eventstore.atom+json, ?embed=body).
Answers follow Configure.cs (WriteEventsCompleted l.363-398, reads l.166-235, HandleNotHandled l.432-456) and the
node states of ClusterVNodeController.cs l.128-216 (who serves, forwards, redirects or refuses).
"""
import datetime
import json
import re
import uuid
from urllib.parse import parse_qs, quote, urlsplit

from . import atom
from .state import DEFAULT_USERS
from .transport import PeerError

STREAM = re.compile(r"^/streams/([^/]+)$")
EVENT = re.compile(r"^/streams/([^/]+)/([^/]+)$")
PAGE = re.compile(r"^/streams/([^/]+)/([^/]+)/(forward|backward)/([^/]+)$")
EVENTS_JSON = "application/vnd.eventstore.events+json"
ATOM_JSON = "application/vnd.eventstore.atom+json"
ANY, NO_STREAM, STREAM_EXISTS = -2, -1, -4
REPLICA = ("PreReplica", "CatchingUp", "Clone", "Follower")
READ_ONLY = ("ReadOnlyLeaderless", "PreReadOnlyReplica", "ReadOnlyReplica")
READ_STATES = ("Leader", "ResigningLeader", "DiscoverLeader", "Unknown") + REPLICA + READ_ONLY
FORWARDED_HEADERS = ("Authorization", "Content-Type", "Accept", "ES-ExpectedVersion")


def routes(path, config):
    if not (config.EnableAtomPubOverHttp or config.Dev):
        return {}
    if STREAM.match(path):
        return {"POST": append, "GET": read}
    if EVENT.match(path) or PAGE.match(path):
        return {"GET": read}
    return {}


def _text(api, status, reason, headers=None):
    api.reply(status, b"", "text/plain; charset=utf-8", headers=headers, reason=reason)


def _require_leader(api):
    values = [api.headers.get(h) for h in ("ES-RequireLeader", "ES-RequireMaster") if api.headers.get(h)]
    if not values:
        return False
    if any(v.lower() == "true" for v in values):
        return True
    return None if not any(v.lower() == "false" for v in values) else False


def _refused(api, stream):
    """True when a 401 was sent. Default ACLs (SystemSettings.cs l.10-12): user streams are public ($all,
    anonymous included), system streams ($...) need $admins (LegacyStreamPermissionAssertion.cs l.81-135)."""
    if api.node.config.Insecure:
        return False
    user = api.user()
    if (api.headers.get("Authorization") and user is None) or \
            (stream.startswith("$") and DEFAULT_USERS.get(user) != "$admins"):
        _text(api, 401, "Unauthorized")
        return True
    return False


def _redirect(api, leader):
    """Configure.cs l.48-57: 307 to the same path on the leader's advertised HTTP endpoint."""
    host = leader.get("advertiseHostToClientAs") or leader["httpHost"]
    port = leader.get("advertiseHttpPortToClientAs") or leader["httpPort"]
    scheme = "http" if api.node.config.Insecure else "https"
    _text(api, 307, "Temporary Redirect", {"Location": "%s://%s:%s%s" % (scheme, host, port, api.path)})


def append(api, path):
    stream = STREAM.match(path).group(1)
    raw = api.raw_body()
    require = _require_leader(api)
    if require is None:
        return _text(api, 400, "ES-RequireLeader header in wrong format.")
    expected = _expected_version(api.headers.get("ES-ExpectedVersion"))
    if expected is None:
        return _text(api, 400, "ES-ExpectedVersion header in wrong format.")
    events = _events(api, raw)
    if isinstance(events, str):
        return _text(api, 400, events)
    if _refused(api, stream):
        return None
    node = api.node
    with node.lock:
        role, leader = node.role, node.leader
    if role in REPLICA + READ_ONLY and require:
        return _redirect(api, leader or node.me)
    if role in READ_ONLY:
        # ClusterVNodeController.cs l.874-886, Configure.cs l.59-70.
        host, port = (leader or node.me)["httpHost"], (leader or node.me)["httpPort"]
        scheme = "http" if node.config.Insecure else "https"
        return _text(api, 500, "Operation Not Supported on Read Only Replica",
                     {"Location": "%s://%s:%s%s" % (scheme, host, port, api.path)})
    if role in REPLICA and leader is not None:
        return _forward(api, leader, raw)
    if role != "Leader":
        return _text(api, 503, "Server Is Not Ready")
    return _write(api, stream, expected, events)


def _expected_version(raw):
    if raw is None or raw == "":
        return ANY
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= -4 and value != -3 else None


def _events(api, raw):
    content_type = (api.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    body = api.parse(raw)
    if content_type == EVENTS_JSON:
        if not isinstance(body, list) or not body:
            return "Write request body invalid."
        events = []
        for item in body:
            if not isinstance(item, dict) or not item.get("eventType"):
                return "Write request body invalid."
            try:
                event_id = str(uuid.UUID(str(item.get("eventId"))))
            except ValueError:
                return "Write request body invalid."
            data = item.get("data")
            events.append({"eventId": event_id, "eventType": str(item["eventType"]),
                           "data": data, "metadata": item.get("metadata"), "isJson": not isinstance(data, str)})
        return events
    if content_type == "application/json" and api.headers.get("ES-EventType") and api.headers.get("ES-EventId"):
        try:
            event_id = str(uuid.UUID(api.headers["ES-EventId"]))
        except ValueError:
            return "ES-EventId header in wrong format."
        return [{"eventId": event_id, "eventType": api.headers["ES-EventType"], "data": body,
                 "metadata": None, "isJson": True}]
    return "Write request body invalid."


def _forward(api, leader, raw):
    """ClusterVNodeController.cs l.770-779, 825-829: a replica forwards the write to its leader (22.10 over the
    internal TCP link, here over HTTP) and relays the outcome; no answer in time is 500 'Write timeout'."""
    headers = dict((name, api.headers[name]) for name in FORWARDED_HEADERS if api.headers.get(name))
    answer = {}
    try:
        status, reason, content_type, data = api.node.transport.forward(
            leader["httpHost"], leader["httpPort"], "POST", api.path, headers, raw,
            timeout=api.node.config.WriteTimeoutMs / 1000.0 + 1.0, headers_out=answer)
    except PeerError:
        return _text(api, 500, "Write timeout")
    extra = {}
    if status == 201 and answer.get("Location"):
        # The answer names this node, as 22.10 builds it from the request the replica received.
        extra["Location"] = _base(api) + "/" + answer["Location"].split("/", 3)[3]
    if answer.get("ES-CurrentVersion"):
        extra["ES-CurrentVersion"] = answer["ES-CurrentVersion"]
    return api.reply(status, data, content_type or "text/plain", reason=reason, headers=extra or None)


def _base(api):
    node = api.node
    return "%s://%s" % ("http" if node.config.Insecure else "https", api.headers.get("Host") or node.name)


def write_local(node, stream, expected, events):
    """Append on this node (the leader) unless the ids are already there: ("wrong", current) or
    ("ok", first event number, end position). Waiting for the commit is the caller's business."""
    log = node.state.log
    with log.lock:
        written = log.written(stream)
        current = written[-1]["number"] if written else -1
        outcome = _check(written, current, expected, events)
        if outcome is not None and outcome[0] == "wrong":
            return "wrong", current
        if outcome is not None:
            return "ok", outcome[1], outcome[2]
        created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        records = [dict(e, kind="event", stream=stream, number=current + 1 + i, created=created)
                   for i, e in enumerate(events)]
        end = log.append(records)
    node.advance_commit()
    return "ok", current + 1, end


def _write(api, stream, expected, events):
    node = api.node
    outcome = write_local(node, stream, expected, events)
    if outcome[0] == "wrong":
        return _text(api, 400, "Wrong expected EventNumber", {"ES-CurrentVersion": str(outcome[1])})
    if not node.state.log.wait_committed(outcome[2], node.config.WriteTimeoutMs / 1000.0):
        return _text(api, 500, "Write timeout")
    return _text(api, 201, "Created", {"Location": "%s/streams/%s/%s" % (_base(api), quote(stream, safe=""),
                                                                         outcome[1])})


def _check(written, current, expected, events):
    """IndexWriter.CheckCommit in 22.10: None to write, ("done", first, end) when the same event ids are already
    there (idempotent), ("wrong",) for a wrong expected version."""
    ids = [e["eventId"] for e in events]
    if expected == ANY:
        start = next((i for i, r in enumerate(written) if r["eventId"] == ids[0]), None)
        if start is None:
            return None
        expected = start - 1
    elif expected == STREAM_EXISTS:
        return ("wrong",) if current < 0 else None
    if expected == current:
        return None
    if expected < current:
        tail = written[expected + 1:expected + 1 + len(ids)]
        if [r["eventId"] for r in tail] == ids:
            return ("done", expected + 1, tail[-1]["pos"] + tail[-1]["size"])
    return ("wrong",)


def refuse_read(api, stream):
    """True when the read was answered already: 400, 503 (states that do not serve reads), 307 (leader
    required, ClusterVNodeController.cs l.637-668) or 401 (ACL)."""
    node = api.node
    require = _require_leader(api)
    if require is None:
        _text(api, 400, "ES-RequireLeader header in wrong format.")
        return True
    with node.lock:
        role, leader = node.role, node.leader
    if role not in READ_STATES or (require and role not in ("Leader", "ResigningLeader") and leader is None):
        _text(api, 503, "Server Is Not Ready")
        return True
    if require and role not in ("Leader", "ResigningLeader"):
        _redirect(api, leader)
        return True
    return _refused(api, stream)


def read(api, path):
    match = PAGE.match(path) or EVENT.match(path) or STREAM.match(path)
    stream = match.group(1)
    if refuse_read(api, stream):
        return None
    groups = match.groups()
    if len(groups) == 2 and groups[1] != "head":
        return _single(api, stream, groups[1])
    if len(groups) == 4:
        return serve_feed(api, stream, groups[1], groups[2], groups[3])
    return serve_feed(api, stream, "head", "backward", "20")


def serve_feed(api, stream, start, direction, count):
    """A page of the stream's committed events as a 22.10 Atom JSON feed (Convert.cs l.22-110)."""
    accept = api.headers.get("Accept") or ""
    if ATOM_JSON not in accept and "application/json" not in accept:
        return _text(api, 406, "Not Acceptable")
    embed = (parse_qs(urlsplit(api.path).query).get("embed") or ["none"])[0].lower()
    events = api.node.state.log.stream(stream)
    if not events:
        return _text(api, 404, "Not Found")
    try:
        count = int(count)
        start = events[-1]["number"] if start == "head" else int(start)
    except ValueError:
        return _text(api, 400, "'%s' is not valid event number" % start)
    if count <= 0 or start < 0:
        return _text(api, 400, "'%s' is not valid count. Should be positive integer" % count)
    if direction == "forward":
        page = [e for e in events if start <= e["number"] < start + count]
    else:
        page = [e for e in events if start - count < e["number"] <= start]
    feed = atom.feed(_base(api), stream, page, events, embed == "body", api.path)
    return api.reply(200, json.dumps(feed, indent=2), ATOM_JSON + "; charset=utf-8")


def _single(api, stream, number):
    accept = api.headers.get("Accept") or ""
    if ATOM_JSON not in accept and "application/json" not in accept:
        return _text(api, 406, "Not Acceptable")
    events = api.node.state.log.stream(stream)
    try:
        wanted = int(number)
    except ValueError:
        return _text(api, 400, "'%s' is not valid event number" % number)
    event = next((e for e in events if e["number"] == wanted), None)
    if event is None:
        return _text(api, 404, "Not Found")
    base = _base(api)
    return api.reply(200, json.dumps(atom.entry(base, stream, event, True), indent=2), ATOM_JSON + "; charset=utf-8")
