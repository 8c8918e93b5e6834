"""Node-to-node requests (gossip, elections) over HTTP, or HTTPS with the peer checks of secure mode.

In secure mode every dial verifies the peer's chain against the trusted roots, that a SAN matches the
address dialled, and that the peer's CN is CertificateReservedNodeCommonName. Failures are logged once per
peer and reason, so that a misconfigured cluster says why without flooding the log.
"""
import http.client
import json
import socket
import ssl
import threading

from .certs import common_name, distinguished_name
from .log import LOG, Plain


class PeerError(Exception):
    pass


class Transport:
    def __init__(self, identity, timeout_ms):
        self.identity = identity
        self.timeout = timeout_ms / 1000.0
        self._context = identity.client_context() if identity else None
        self._reported = {}
        self._lock = threading.Lock()

    def _report(self, key, reason, template, **params):
        with self._lock:
            if self._reported.get(key) == reason:
                return
            self._reported[key] = reason
        LOG.error(template, **params)

    def _clear(self, key):
        with self._lock:
            self._reported.pop(key, None)

    def connect_tls(self, host, port, timeout):
        """A verified TLS socket to a peer (used for HTTPS and for the replication connection)."""
        peer = "%s:%s" % (host, port)
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self._context.wrap_socket(raw, server_hostname=host)
        except ssl.SSLCertVerificationError as exc:
            raw.close()
            errors = ("RemoteCertificateNameMismatch (NoError)" if exc.verify_code in (62, 64)
                      else "RemoteCertificateChainErrors (%s)" % exc.verify_message)
            self._report(peer, errors, "The certificate provided by the server [{peer}] failed validation with the "
                         "following error(s): {errors}", peer=peer, errors=Plain(errors))
            raise PeerError(errors) from None
        except (ssl.SSLError, OSError) as exc:
            raw.close()
            raise PeerError(str(exc)) from None
        cert = tls.getpeercert()
        if common_name(cert) != self.identity.reserved_cn:
            tls.close()
            self._report(peer, "cn", "The certificate ({subject}) provided by the server [{peer}] is not a node "
                         "certificate: its CN is not the reserved node common name {reserved}.",
                         subject=distinguished_name(cert.get("subject", ())), peer=peer,
                         reserved=self.identity.reserved_cn)
            raise PeerError("peer CN is not %s" % self.identity.reserved_cn)
        self._clear(peer)
        return tls

    def forward(self, host, port, method, path, headers, payload, timeout=10.0, headers_out=None):
        """22.10's HttpSendService.ForwardRequest: the same request to the leader; (status, reason, type, body).

        22.10's forwarding client presents no client certificate and checks only the leader's chain and name."""
        try:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
            if self._context is None:
                connection.sock = socket.create_connection((host, port), timeout=timeout)
            else:
                connection.sock = self.connect_tls(host, port, timeout)
            connection.request(method, path, payload, headers)
            response = connection.getresponse()
            data = response.read()
            if headers_out is not None:
                headers_out.update(response.getheaders())
            connection.close()
        except (PeerError, OSError, http.client.HTTPException) as exc:
            raise PeerError(str(exc) or type(exc).__name__) from None
        return response.status, response.reason, response.getheader("Content-Type") or "", data

    def post(self, host, port, path, body, timeout=None):
        """POST JSON and return (status, decoded body); raise PeerError when the peer cannot be reached."""
        timeout = timeout or self.timeout
        try:
            # The socket is made (and, in secure mode, verified) here; http.client only speaks HTTP over it.
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
            if self._context is None:
                connection.sock = socket.create_connection((host, port), timeout=timeout)
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            else:
                connection.sock = self.connect_tls(host, port, timeout)
            payload = json.dumps(body).encode("utf-8")
            connection.request("POST", path, payload, {"Content-Type": "application/json"})
            response = connection.getresponse()
            data = response.read()
            connection.close()
        except PeerError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            raise PeerError(str(exc) or type(exc).__name__) from None
        if response.status != 200:
            raise PeerError("HTTP %s from %s:%s%s" % (response.status, host, port, path))
        try:
            return json.loads(data.decode("utf-8"))
        except ValueError:
            raise PeerError("invalid JSON from %s:%s%s" % (host, port, path)) from None
