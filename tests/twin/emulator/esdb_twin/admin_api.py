"""The rest of 22.10's admin and user routes, so that callers meet 22.10's authorization and answers.

- POST /admin/node/priority/{n} ($admins/$ops): sets this node's priority, which gossip then carries
  (AdminController.cs l.263-285; ClusterVNodeController handles ClientMessage.SetNodePriority).
- POST /admin/scavenge, DELETE /admin/scavenge/{id} and GET /streams/$scavenges...: scavenge_api.py.
- POST /admin/mergeindexes, POST /admin/reloadconfig ($admins/$ops) and the user-management routes of UsersController.cs l.24-33 ($admins, or the user itself
  where 22.10 allows it): authorization exactly as 22.10 (401 otherwise); the features themselves are not
  emulated, so an authorized call gets 501 saying so rather than a made-up success.
"""
import re

from . import scavenge_api
from .state import DEFAULT_USERS

PRIORITY = re.compile(r"^/admin/node/priority/([^/]+)$")
SCAVENGE_ID = re.compile(r"^/admin/scavenge/([^/]+)$")
USER = re.compile(r"^/users/([^/]+)$")
USER_COMMAND = re.compile(r"^/users/([^/]+)/command/(enable|disable)$")
OPS_OR_ADMINS = ("$admins", "$ops")


def _check(api, allowed, login=None):
    """None when the caller may go on; otherwise the 401 has been sent (AuthorizationMiddleware.cs l.16-24)."""
    if api.node.config.Insecure:
        return None
    user = api.user()
    if user is not None and (DEFAULT_USERS.get(user) in allowed or (login is not None and user == login)):
        return None
    api.text(401, "Unauthorized")
    return True


def _not_emulated(feature, allowed, login_group=None):
    def handler(api, path):
        login = None
        if login_group is not None:
            match = (USER_COMMAND.match(path) or USER.match(path))
            login = match.group(1) if match else None
        if _check(api, allowed, login):
            return None
        return api.text(501, "Not emulated: %s is not part of the esdb.cluster test emulator (not EventStoreDB)."
                        % feature)
    return handler


def _authorized(handler):
    def checked(api, path):
        if _check(api, OPS_OR_ADMINS):
            return None
        return handler(api, path)
    return checked


def _priority(api, path):
    if _check(api, OPS_OR_ADMINS):
        return None
    raw = PRIORITY.match(path).group(1)
    try:
        priority = int(raw)
    except ValueError:
        return api.reply(400, b"", "text/plain", reason="nodePriority must be an integer.")
    if not -2 ** 31 <= priority < 2 ** 31:
        return api.reply(400, b"", "text/plain", reason="nodePriority must be an integer.")
    with api.node.lock:
        api.node.me["nodePriority"] = priority
    return api.text(200, "OK")


def routes(path, config):
    """{method: handler(api, path)} for the path, or {} when none of these routes matches."""
    found = {}
    if not config.DisableAdminUi:
        if PRIORITY.match(path):
            found["POST"] = _priority
        elif path == "/admin/scavenge":
            found["POST"] = _authorized(scavenge_api.start)
        elif SCAVENGE_ID.match(path):
            found["DELETE"] = _authorized(scavenge_api.stop)
        elif scavenge_api.STREAM.match(path):
            found["GET"] = scavenge_api.read
        elif path == "/admin/mergeindexes":
            found["POST"] = _not_emulated("index merging", OPS_OR_ADMINS)
        elif path == "/admin/reloadconfig":
            found["POST"] = _not_emulated("configuration reload", OPS_OR_ADMINS)
    if config.Insecure:
        return found
    if path in ("/users", "/users/"):
        found.update(GET=_not_emulated("user listing", ("$admins",)),
                     POST=_not_emulated("user creation", ("$admins",)))
    elif path == "/users/$current":
        found["GET"] = _not_emulated("user details", tuple(set(DEFAULT_USERS.values())))
    elif USER.match(path):
        found.update(GET=_not_emulated("user details", ("$admins",), login_group=True),
                     PUT=_not_emulated("user updates", ("$admins",)),
                     DELETE=_not_emulated("user deletion", ("$admins",)))
    elif USER_COMMAND.match(path):
        found["POST"] = _not_emulated("enabling and disabling users", ("$admins",))
    return found
