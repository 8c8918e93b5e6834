"""Response formats for /ping: ?format=json|xml|text or the Accept header, as 22.10 picks a codec
(KestrelToInternalBridgeMiddleware.cs l.155-193; PingController.cs offers Json, Xml, ApplicationXml, Text)."""
from urllib.parse import parse_qs

FORMATS = {"json": "application/json", "xml": "text/xml", "text": "text/plain"}
OFFERED = ("application/json", "text/xml", "application/xml", "text/plain")


def _suitable(offered, wanted):
    kind, _slash, sub = wanted.partition("/")
    o_kind, _slash, o_sub = offered.partition("/")
    return (kind in ("*", o_kind)) and (sub in ("*", o_sub))


def pick(path, accept):
    """The content type to answer with, or None when nothing offered is acceptable (406)."""
    query = parse_qs(path.partition("?")[2])
    requested = (query.get("format") or [""])[0].lower()
    if requested:
        return FORMATS.get(requested)
    if not accept or not accept.strip():
        return OFFERED[0]
    ranked = []
    for index, item in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in item.split(";")]
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, index, media.lower()))
    for _q, _i, media in sorted(ranked):
        for offered in OFFERED:
            if _suitable(offered, media):
                return offered
    return None


def text_message(content_type, text):
    """22.10's HttpMessage.TextMessage through the chosen codec."""
    if content_type == "application/json":
        return '{\n  "text": "%s"\n}' % text
    if content_type in ("text/xml", "application/xml"):
        return ('<?xml version="1.0" encoding="utf-8"?><TextMessage xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
                ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"><Text>%s</Text></TextMessage>' % text)
    return "Text: %s" % text
