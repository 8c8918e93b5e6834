"""What a node keeps under Db across restarts: checkpoints, its last epoch, and the users' passwords.

Users are replicated data, as in 22.10 (the $user-<login> streams): only the leader changes them, each change
gets the next `usersVersion`, and replicas take the leader's users with every heartbeat.

The checkpoints are 8-byte little-endian files named like 22.10's (writer.chk, chaser.chk, epoch.chk);
everything else lives in twin-state.json. Passwords are stored as salted PBKDF2 hashes, never in clear.
"""
import hashlib
import hmac
import json
import os
import struct
import threading
import uuid

from .errors import host_terminated

DEFAULT_PASSWORD = "changeit"
DEFAULT_USERS = {"admin": "$admins", "ops": "$ops"}
EMPTY_ID = "00000000-0000-0000-0000-000000000000"


def _hash(password, salt):
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), 20000).hex()


class NodeState:
    def __init__(self, db_path, index_path, in_memory=False):
        self._lock = threading.Lock()
        self.db_path, self.in_memory = db_path, in_memory
        self.writer_checkpoint = self.chaser_checkpoint = 0
        self.epoch_number, self.epoch_position, self.epoch_id = -1, -1, EMPTY_ID
        self.users, self.users_version = {}, 0
        if not in_memory:
            self._prepare(db_path, index_path)
            self._load()
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

    def _read_checkpoint(self, name):
        try:
            with open(self._path(name), "rb") as handle:
                data = handle.read(8)
            return struct.unpack("<q", data)[0] if len(data) == 8 else None
        except OSError:
            return None

    def _load(self):
        writer = self._read_checkpoint("writer.chk")
        chaser = self._read_checkpoint("chaser.chk")
        self.writer_checkpoint = writer if writer is not None else 0
        self.chaser_checkpoint = chaser if chaser is not None else self.writer_checkpoint
        try:
            with open(self._path("twin-state.json"), encoding="utf-8") as handle:
                saved = json.load(handle)
        except (OSError, ValueError):
            return
        self.epoch_number = saved.get("epochNumber", -1)
        self.epoch_position = saved.get("epochPosition", -1)
        self.epoch_id = saved.get("epochId", EMPTY_ID)
        self.users = saved.get("users", {})
        self.users_version = saved.get("usersVersion", 0)

    def save(self):
        if self.in_memory:
            return
        with self._lock:
            for name, value in (("writer.chk", self.writer_checkpoint), ("chaser.chk", self.chaser_checkpoint),
                                ("epoch.chk", self.epoch_position)):
                self._atomic_write(name, struct.pack("<q", value))
            document = {"epochNumber": self.epoch_number, "epochPosition": self.epoch_position,
                        "epochId": self.epoch_id, "users": self.users,
                        "usersVersion": self.users_version}
            self._atomic_write("twin-state.json", json.dumps(document, indent=2).encode("utf-8"))

    def _atomic_write(self, name, data):
        temporary = self._path(name + ".tmp")
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, self._path(name))

    def start_epoch(self):
        """A new leader writes an epoch record at its writer checkpoint."""
        self.epoch_number += 1
        self.epoch_position = self.writer_checkpoint
        self.epoch_id = str(uuid.uuid4())
        self.writer_checkpoint += 120
        self.chaser_checkpoint = self.writer_checkpoint
        self.save()

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
