"""22.10's Atom JSON rendering of events and stream pages (Convert.cs l.22-110; Feed.cs EntryElement and
RichEntryElement): entries newest first, bodies only with ?embed=body."""
import json
import zlib
from urllib.parse import quote

ATOM_JSON = "application/vnd.eventstore.atom+json"


def entry(base, stream, event, body):
    url = "%s/streams/%s/%s" % (base, quote(stream, safe=""), event["number"])
    entry = {"title": "%s@%s" % (event["number"], stream), "id": url, "updated": event.get("created", ""),
             "author": {"name": "EventStore"}, "summary": event["eventType"],
             "links": [{"uri": url, "relation": "edit"}, {"uri": url, "relation": "alternate"}]}
    if body:
        entry.update({"eventId": event["eventId"], "eventType": event["eventType"], "eventNumber": event["number"],
                      "data": event["data"] if not event["isJson"] else json.dumps(event["data"]),
                      "metaData": json.dumps(event["metadata"]) if event.get("metadata") is not None else "",
                      "streamId": stream, "isJson": event["isJson"], "isMetaData": event.get("metadata") is not None,
                      "isLinkMetaData": False, "positionEventNumber": event["number"], "positionStreamId": stream})
    return entry


def feed(base, stream, page, events, body, path):
    escaped = quote(stream, safe="")
    last = events[-1]["number"]
    head = not page or page[-1]["number"] == last
    return {"title": "Event stream '%s'" % stream, "id": "%s/streams/%s" % (base, escaped),
            "updated": page[-1].get("created", "") if page else "", "streamId": stream,
            "author": {"name": "EventStore"}, "headOfStream": head, "selfUrl": "%s/streams/%s" % (base, escaped),
            "eTag": "%s;%s" % (last, zlib.crc32(ATOM_JSON.encode("ascii"))),
            "links": [{"uri": base + path.split("?")[0], "relation": "self"},
                      {"uri": "%s/streams/%s/head/backward/20" % (base, escaped), "relation": "first"},
                      {"uri": "%s/streams/%s/metadata" % (base, escaped), "relation": "metadata"}],
            # Newest first, in both directions (Convert.cs l.59-60, 107-108).
            "entries": [entry(base, stream, e, body) for e in reversed(page)]}
