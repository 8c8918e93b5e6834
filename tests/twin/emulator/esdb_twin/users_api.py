"""POST /users/{login}/command/reset-password and .../change-password, as 22.10's UsersController serves them.

- A replica (PreReplica, CatchingUp, Follower, Clone, read-only replica) forwards the request to its leader
  (HttpSendService.ForwardRequest), after authenticating the caller against its own copy of the users.
- The leader changes the user; replicas take the change with the next replication heartbeat.
- A node without a leader (DiscoverLeader, Unknown, PreLeader, ReadOnlyLeaderless, ...) publishes the change,
  whose write is denied (ClusterVNodeController: NotReady) and never answered: the HTTP request times out
  after ESConsts.HttpTimeout (10 s) with 408 "Server was unable to handle request in time".
- A forward that fails answers 500 "Error while forwarding request".
"""
import re
import time

from .state import DEFAULT_USERS
from .transport import PeerError

COMMAND = re.compile(r"^/users/([^/]+)/command/(reset-password|change-password)$")
REPLICA_ROLES = ("PreReplica", "CatchingUp", "Follower", "Clone", "PreReadOnlyReplica", "ReadOnlyReplica")
HTTP_TIMEOUT = 10.0
USER_EVENT_BYTES = 700
FORWARDED_HEADERS = ("Authorization", "Content-Type", "Accept")


def handle(api, path):
    """Serve one user command on `api` (the request handler)."""
    login, command = COMMAND.match(path).groups()
    payload = api.raw_body()
    user = api.user()
    if user is None:
        return api.text(401, "Unauthorized")
    if command == "reset-password" and DEFAULT_USERS.get(user) != "$admins":
        return api.text(401, "Unauthorized")
    if command == "change-password" and user != login:
        return api.text(401, "Unauthorized")
    node = api.node
    with node.lock:
        role, leader = node.role, node.leader
    if role in REPLICA_ROLES and leader is not None:
        return _forward(api, leader, payload)
    if role != "Leader":
        time.sleep(HTTP_TIMEOUT)
        return api.reply(408, b"", "text/plain", reason="Server was unable to handle request in time")
    return _apply(api, login, command, api.parse(payload))


def _forward(api, leader, payload):
    headers = dict((name, api.headers[name]) for name in FORWARDED_HEADERS if api.headers.get(name))
    headers["X-Forwarded-Host"] = api.headers.get("Host") or "%s:%s" % api.server.server_address[:2]
    try:
        status, reason, content_type, data = api.node.transport.forward(
            leader["httpHost"], leader["httpPort"], "POST", api.path, headers, payload)
    except PeerError:
        return api.reply(500, b"", "text/plain", reason="Error while forwarding request")
    return api.reply(status, data, content_type or "text/plain", reason=reason)


def _apply(api, login, command, body):
    state = api.node.state
    if login not in state.users:
        return api.json({"loginName": login, "success": False, "error": "NotFound"}, 404)
    if not isinstance(body, dict) or not isinstance(body.get("newPassword"), str) or not body["newPassword"]:
        return api.text(400, "Invalid request: a JSON body with a non-empty newPassword is required.")
    with api.node.lock:
        if command == "change-password" and not state.check_password(login, str(body.get("currentPassword"))):
            return api.json({"loginName": login, "success": False, "error": "Unauthorized"}, 401)
        state.set_password(login, body["newPassword"])
        # The change is a write ($user-<login> and $users-password-notifications events): the log grows.
        state.log.append([{"kind": "filler", "padTo": USER_EVENT_BYTES}])
    api.node.advance_commit()
    return api.json({"loginName": login, "success": True, "error": "Success"})
