"""What a node keeps under Db across restarts: its transaction log (store.py) and the users' passwords.

Users are replicated data, as in 22.10 (the $user-<login> streams): only the leader changes them, each change
gets the next `usersVersion`, and replicas take the leader's users with every heartbeat.

The checkpoints and epochs come from the log (store.py); the users live in twin-state.json. Passwords are
stored as salted PBKDF2 hashes, never in clear.
"""
import hashlib
import hmac
import json
import os
import threading

from .errors import host_terminated
from .store import EventLog

DEFAULT_PASSWORD = "changeit"
DEFAULT_USERS = {"admin": "$admins", "ops": "$ops"}
EMPTY_ID = "00000000-0000-0000-0000-000000000000"


def _hash(password, salt):
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), 20000).hex()


class NodeState:
    def __init__(self, db_path, index_path, in_memory=False, chunk_size=268435456):
        self._lock = threading.Lock()
        self.db_path, self.in_memory = db_path, in_memory
        self.users, self.users_version = {}, 0
        if not in_memory:
            self._prepare(db_path, index_path)
            self._load()
        self.log = EventLog(db_path, index_path, chunk_size, in_memory)
        for login in DEFAULT_USERS:
            self.users.setdefault(login, self._credential(DEFAULT_PASSWORD))

    def _prepare(self, db_path, index_path):
        try:
            os.makedirs(db_path, exist_ok=True)
            os.makedirs(index_path, exist_ok=True)
            probe = os.path.join(db_path, "writer.chk")
            with open(probe, "ab"):
                pass
        except OSError:
            raise host_terminated("System.UnauthorizedAccessException",
                                  "Access to the path '%s' is denied." % os.path.join(db_path, "writer.chk")) from None

    def _path(self, name):
        return os.path.join(self.db_path, name)

    def _load(self):
        try:
            with open(self._path("twin-state.json"), encoding="utf-8") as handle:
                saved = json.load(handle)
        except (OSError, ValueError):
            return
        self.users = saved.get("users", {})
        self.users_version = saved.get("usersVersion", 0)

    def save(self):
        if self.in_memory:
            return
        with self._lock:
            document = {"users": self.users, "usersVersion": self.users_version}
            self._atomic_write("twin-state.json", json.dumps(document, indent=2).encode("utf-8"))

    def _atomic_write(self, name, data):
        temporary = self._path(name + ".tmp")
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, self._path(name))

    # Checkpoints and the last epoch, as the log has them.

    @property
    def writer_checkpoint(self):
        return self.log.writer

    chaser_checkpoint = writer_checkpoint

    def _epoch(self, key, default):
        epoch = self.log.last_epoch()
        return epoch[key] if epoch else default

    @property
    def epoch_number(self):
        return self._epoch("epochNumber", -1)

    @property
    def epoch_position(self):
        return self._epoch("pos", -1)

    @property
    def epoch_id(self):
        return self._epoch("epochId", EMPTY_ID)

    def start_epoch(self):
        """A new leader writes an epoch record at its writer checkpoint."""
        self.log.append_epoch(self.epoch_number + 1)

    @staticmethod
    def _credential(password):
        salt = os.urandom(16).hex()
        return {"salt": salt, "hash": _hash(password, salt)}

    def check_password(self, login, password):
        entry = self.users.get(login)
        return bool(entry) and hmac.compare_digest(entry["hash"], _hash(password, entry["salt"]))

    def set_password(self, login, password):
        """On the leader only: a new version of the users, replicated by the next heartbeats."""
        self.users = dict(self.users, **{login: self._credential(password)})
        self.users_version += 1
        self.save()

    def adopt_users(self, users, version):
        """On a replica: the leader's users replace ours (22.10 drops its password cache on replication)."""
        if version != self.users_version or users != self.users:
            self.users, self.users_version = dict(users), version
            self.save()
