"""The HTTP(S) API on ExtIp:HttpPort: the 22.10 endpoints our code and users observe, plus node-to-node calls."""
import base64
import http.server
import json
import os
import resource
import socket
import ssl
import sys
import threading

from . import admin_api, events_api, formats, scavenge_api, users_api
from .dump import options_info
from .log import LOG
from .member import client_view, endpoint
from .state import DEFAULT_USERS
from .version import FOUR_PART

HTTP_TIMEOUT = 10.0
NODE_CALLS = {"/gossip": None, "/elections/prepare": "on_prepare", "/elections/proposal": "on_proposal",
              "/elections/done": "on_done", "/elections/resigning": "on_resigning",
              scavenge_api.SCAVENGER_WRITES: None}


class Api(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Kestrel"
    sys_version = ""
    node = None

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Requests are not logged (22.10 logs them only with LogHttpRequests)."""

    def setup(self):
        self.request.settimeout(30)
        super().setup()

    # Plumbing.

    def _reply(self, status, body=b"", content_type="application/json; charset=utf-8", headers=None, reason=None):
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(status, reason)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        # Headers and body leave in one write: two small writes would meet Nagle and delayed ACKs.
        self._headers_buffer.append(b"\r\n" + (data if self.command != "HEAD" else b""))
        self.flush_headers()

    def _json(self, document, status=200):
        self._reply(status, json.dumps(document, indent=2))

    def _text(self, status, text):
        self._reply(status, text, "text/plain; charset=utf-8")

    def _body(self):
        return self.parse(self.raw_body())

    def raw_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    @staticmethod
    def parse(raw):
        try:
            return json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            return None

    # The names users_api calls.
    def reply(self, *args, **kwargs):
        return self._reply(*args, **kwargs)

    def json(self, document, status=200):
        return self._json(document, status)

    def text(self, status, text):
        return self._text(status, text)

    def user(self):
        return self._user()

    def _user(self):
        header = self.headers.get("Authorization") or ""
        if not header.lower().startswith("basic "):
            return None
        try:
            login, _colon, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except ValueError:
            return None
        return login if self.node.state.check_password(login, password) else None

    def _authorised(self, groups):
        if self.node.config.Insecure:
            return True
        user = self._user()
        return user is not None and DEFAULT_USERS.get(user) in groups

    def _from_node(self):
        if self.node.identity is None:
            return True
        getter = getattr(self.connection, "getpeercert", None)
        return bool(getter) and self.node.identity.is_node(getter())

    def _route(self):
        config = self.node.config
        path = self.path.split("?", 1)[0]
        routes = {"/info": {"GET": self._info}, "/info/options": {"GET": self._options}, "/ping": {"GET": self._ping},
                  "/health/live": {"GET": self._live, "HEAD": self._live}}
        if not config.DisableGossipOnHttp:
            routes["/gossip"] = {"GET": self._client_gossip}
        for call in NODE_CALLS:
            routes.setdefault(call, {})["POST"] = self._node_call
        if not config.DisableStatsOnHttp and (path == "/stats" or path.startswith("/stats/")):
            routes[path] = {"GET": self._stats}
        if not config.DisableAdminUi:
            routes["/admin/shutdown"] = {"POST": self._shutdown}
            routes["/admin/node/resign"] = {"POST": self._resign}
        if users_api.COMMAND.match(path) and not config.Insecure:
            routes[path] = {"POST": lambda p: users_api.handle(self, p)}
        else:
            extra = admin_api.routes(path, config) or events_api.routes(path, config)
            if extra:
                routes[path] = {method: (lambda p, h=h: h(self, p)) for method, h in extra.items()}
        methods = routes.get(path)
        if methods is None:
            return self._text(404, "Not Found")
        handler = methods.get(self.command)
        if handler is None:
            # Node-to-node calls are not part of 22.10's public HTTP surface (22.10 uses gRPC for them).
            public = sorted(m for m in methods if not (m == "POST" and path in NODE_CALLS))
            if not public:
                return self._text(404, "Not Found")
            return self._reply(405, b"", headers={"Allow": ", ".join(public)})
        return handler(path)

    def do_GET(self):  # pylint: disable=invalid-name
        self._route()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    # Endpoints.

    def _client_gossip(self, _path):
        node = self.node
        # GossipServiceBase answers ClientGossip only once it has a cluster view (GossipServiceBase.cs
        # l.182-183); until then the request waits for the HTTP timeout.
        if not node.gossip_started.wait(HTTP_TIMEOUT):
            return self._reply(408, b"", "text/plain", reason="Server was unable to handle request in time")
        with node.lock:
            node.refresh_me()
            members = sorted(node.gossip.cluster.values(), key=endpoint, reverse=True)
            views = [client_view(m) for m in members]
            me = node.me
        self._json({"members": views, "serverIp": me.get("advertiseHostToClientAs") or me["httpHost"],
                    "serverPort": me.get("advertiseHttpPortToClientAs") or me["httpPort"]})

    def _info(self, _path):
        config = self.node.config
        self._json({
            "esVersion": FOUR_PART,
            "state": self.node.role.lower(),
            "features": {"projections": config.RunProjections != "None" or config.Dev,
                         "userManagement": config.AuthenticationType == "internal" and not config.Insecure,
                         "atomPub": config.EnableAtomPubOverHttp or config.Dev},
            "authentication": {"type": "insecure" if config.Insecure else config.AuthenticationType,
                               "properties": {}},
        })

    def _options(self, _path):
        if not self._authorised(("$admins", "$ops")):
            return self._text(401, "Unauthorized")
        return self._json(options_info(self.node.config))

    def _ping(self, _path):
        content_type = formats.pick(self.path, self.headers.get("Accept"))
        if content_type is None:
            return self._reply(406, b"", "text/plain", reason="Requested response format is not supported")
        return self._reply(200, formats.text_message(content_type, "Ping request successfully handled"),
                           content_type + "; charset=utf-8")

    def _live(self, _path):
        self._reply(204 if self.node.ready else 503, b"", "text/plain")

    def _stats(self, _path):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        writer = self.node.state.writer_checkpoint
        load = os.getloadavg()
        self._json({
            "proc": {"id": os.getpid(), "mem": usage.ru_maxrss * 1024, "threadsCount": threading.active_count(),
                     "cpu": usage.ru_utime + usage.ru_stime},
            "sys": {"loadavg": {"oneMinute": load[0], "fiveMinutes": load[1], "fifteenMinutes": load[2]},
                    "hostname": socket.gethostname()},
            "es": {"checksum": writer, "checksumNonFlushed": writer, "queue": {}},
        })

    def _shutdown(self, _path):
        if not self._authorised(("$admins", "$ops")):
            return self._text(401, "Unauthorized")
        self.node.shutdown()
        return self._text(200, "OK")

    def _resign(self, _path):
        if not self._authorised(("$admins", "$ops")):
            return self._text(401, "Unauthorized")
        self.node.resign()
        return self._text(200, "OK")

    def _node_call(self, path):
        body = self._body()
        if not self._from_node():
            return self._text(401, "Unauthorized")
        if not isinstance(body, dict):
            return self._text(400, "Bad Request")
        node = self.node
        if path == "/gossip":
            return self._json(node.gossip.received(body, "gossip received from [%s:%s]" % (
                (body.get("server") or {}).get("host"), (body.get("server") or {}).get("port"))))
        if path == scavenge_api.SCAVENGER_WRITES:
            return self._json(scavenge_api.on_scavenger_write(node, body))
        with node.lock:
            reply = getattr(node.elections, NODE_CALLS[path])(body)
        return self._json(reply)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, node, tls_context):
        handler = type("NodeApi", (Api,), {"node": node})
        self.tls_context = tls_context
        super().__init__(address, handler)

    def get_request(self):
        conn, address = self.socket.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls_context is not None:
            conn = self.tls_context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, address

    def handle_error(self, request, client_address):
        """A client that drops the connection or speaks plain HTTP to TLS is not worth a line; anything else is."""
        error = sys.exc_info()[1]
        if not isinstance(error, (ssl.SSLError, ConnectionError, TimeoutError, socket.timeout)):
            LOG.error("HTTP request from {client} failed: {error}", client="%s:%s" % client_address[:2],
                      error=repr(error))
