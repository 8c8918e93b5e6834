"""The node's transaction log under Db: records in chunk files, checkpoints, and the stream index built from them.

Names follow 22.10 (`chunk-000000.000000`, `writer.chk`, `chaser.chk`, `epoch.chk`, `truncate.chk`, `index/`);
the content format is the emulator's own: one JSON line per record, whose length in bytes is the record's size,
so log positions are byte offsets as in 22.10. A record lives in the chunk its position falls in (ChunkSize).

Order on disk: chunk data is flushed and fsynced before writer.chk moves, so a copy of the directory never has a
writer checkpoint pointing past the data; data beyond writer.chk is ignored and cut off at open (as 22.10 does).
Only committed events (replicated to a quorum) are indexed, hence readable; the committed position is kept in
`index/twin-index.json`.
"""
import json
import os
import struct
import threading
import uuid

CHUNK_NAME = "chunk-%06d.000000"
EPOCH_BYTES = 120


def _line(record):
    return (json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n").encode("utf-8")


class EventLog:
    def __init__(self, db_path, index_path, chunk_size, in_memory=False):
        self.db_path, self.index_path, self.chunk_size, self.in_memory = db_path, index_path, chunk_size, in_memory
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.records = []
        self.writer = 0
        self.committed = 0
        self.streams = {}
        self.truncated_from = None
        if not in_memory:
            self._open()

    # Checkpoint files.

    def _path(self, *names):
        return os.path.join(self.db_path, *names)

    def read_checkpoint(self, name, default):
        try:
            with open(self._path(name), "rb") as handle:
                data = handle.read(8)
        except OSError:
            return default
        return struct.unpack("<q", data)[0] if len(data) == 8 else default

    def write_checkpoint(self, name, value):
        if self.in_memory:
            return
        temporary = self._path(name + ".tmp")
        with open(temporary, "wb") as handle:
            handle.write(struct.pack("<q", value))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self._path(name))

    # Opening: read the chunks up to writer.chk, truncating first when truncate.chk says so.

    def _open(self):
        writer = self.read_checkpoint("writer.chk", 0)
        truncate = self.read_checkpoint("truncate.chk", -1)
        if not os.path.exists(self._path("truncate.chk")):
            self.write_checkpoint("truncate.chk", -1)
        for number in self._chunk_numbers():
            with open(self._path(CHUNK_NAME % number), "rb") as handle:
                for raw in handle:
                    if not raw.endswith(b"\n"):
                        break
                    try:
                        record = json.loads(raw.decode("utf-8"))
                    except ValueError:
                        break
                    if record.get("pos") != self.writer or self.writer + len(raw) > writer:
                        break
                    record["size"] = len(raw)
                    self.records.append(record)
                    self.writer += len(raw)
        self.committed = min(self._saved_commit(), self.writer)
        if 0 <= truncate < self.writer:
            self.truncated_from = self.writer
            self.truncate(truncate)
        else:
            self._rewrite_chunks()
        self.write_checkpoint("truncate.chk", -1)
        self._reindex()

    def _chunk_numbers(self):
        names = [n for n in os.listdir(self.db_path) if n.startswith("chunk-") and n.endswith(".000000")]
        return sorted(int(n[6:12]) for n in names if n[6:12].isdigit())

    def _saved_commit(self):
        try:
            with open(os.path.join(self.index_path, "twin-index.json"), encoding="utf-8") as handle:
                return int(json.load(handle)["committed"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def _save_commit(self):
        if self.in_memory:
            return
        path = os.path.join(self.index_path, "twin-index.json")
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump({"committed": self.committed}, handle)
        os.replace(path + ".tmp", path)

    def _rewrite_chunks(self):
        """Chunk files hold exactly the records below the writer checkpoint (drops torn or truncated tails)."""
        if self.in_memory:
            return
        by_chunk = {}
        for record in self.records:
            by_chunk.setdefault(record["pos"] // self.chunk_size, []).append(record)
        for number in self._chunk_numbers():
            if number not in by_chunk:
                os.remove(self._path(CHUNK_NAME % number))
        for number, records in by_chunk.items():
            data = b"".join(_line(self._stored(r)) for r in records)
            path = self._path(CHUNK_NAME % number)
            with open(path + ".tmp", "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(path + ".tmp", path)

    @staticmethod
    def _stored(record):
        return {k: v for k, v in record.items() if k != "size"}

    def _reindex(self):
        self.streams = {}
        for record in self.records:
            if record["kind"] == "event" and record["pos"] + record["size"] <= self.committed:
                self.streams.setdefault(record["stream"], []).append(record)

    # Writing.

    def append(self, records):
        """Append records (dicts without pos): data first, then writer.chk and chaser.chk. Returns the end."""
        with self.lock:
            lines = []
            for record in records:
                record = dict(record, pos=self.writer)
                if record["kind"] == "epoch":
                    record["epochPosition"] = self.writer
                pad = record.pop("padTo", 0)
                raw = _line(record)
                if pad > len(raw):
                    record["pad"] = "x" * max(0, pad - len(raw) - 9)
                    raw = _line(record)
                record["size"] = len(raw)
                lines.append((record, raw))
                self.writer += len(raw)
                self.records.append(record)
            if not self.in_memory:
                self._write_lines(lines)
                self.write_checkpoint("writer.chk", self.writer)
                self.write_checkpoint("chaser.chk", self.writer)
                if any(r["kind"] == "epoch" for r, _raw in lines):
                    self.write_checkpoint("epoch.chk", self.last_epoch()["epochPosition"])
            self.changed.notify_all()
            return self.writer

    def _write_lines(self, lines):
        handles = {}
        try:
            for record, raw in lines:
                number = record["pos"] // self.chunk_size
                if number not in handles:
                    handles[number] = open(self._path(CHUNK_NAME % number), "ab")  # pylint: disable=consider-using-with
                handles[number].write(raw)
        finally:
            for handle in handles.values():
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()

    def append_replicated(self, records):
        """A replica appends what its leader sent; positions must continue its own log exactly."""
        with self.lock:
            for record in records:
                if record["pos"] != self.writer:
                    raise ValueError("replicated record at %s, our writer is at %s" % (record["pos"], self.writer))
                stored = self._stored(record)
                raw = _line(stored)
                stored["size"] = len(raw)
                if not self.in_memory:
                    self._write_lines([(stored, raw)])
                self.records.append(stored)
                self.writer += len(raw)
            if records and not self.in_memory:
                self.write_checkpoint("writer.chk", self.writer)
                self.write_checkpoint("chaser.chk", self.writer)
                if any(r["kind"] == "epoch" for r in records):
                    self.write_checkpoint("epoch.chk", self.last_epoch()["epochPosition"])
            self.changed.notify_all()
            return self.writer

    def append_epoch(self, number):
        epoch = {"kind": "epoch", "epochNumber": number, "epochId": str(uuid.uuid4()), "padTo": EPOCH_BYTES}
        return self.append([epoch])

    def commit_to(self, position):
        """Index everything that ends at or before `position` (never backwards, never past our writer)."""
        with self.lock:
            position = min(position, self.writer)
            if position <= self.committed:
                return
            for record in self.records:
                end = record["pos"] + record["size"]
                if record["kind"] == "event" and self.committed < end <= position:
                    self.streams.setdefault(record["stream"], []).append(record)
            self.committed = position
            self._save_commit()
            self.changed.notify_all()

    def wait_committed(self, position, timeout):
        """True once `position` is committed; False after `timeout` seconds (the write's outcome is then unknown)."""
        with self.lock:
            return self.changed.wait_for(lambda: self.committed >= position, timeout)

    def truncate(self, position):
        """Offline truncation at start-up: drop every record at or after `position`."""
        with self.lock:
            self.records = [r for r in self.records if r["pos"] < position]
            self.writer = position
            self.committed = min(self.committed, position)
            self._rewrite_chunks()
            self.write_checkpoint("writer.chk", position)
            self.write_checkpoint("chaser.chk", position)
            epoch = self.last_epoch()
            self.write_checkpoint("epoch.chk", epoch["epochPosition"] if epoch else -1)
            self._save_commit()
            self._reindex()

    # Reading.

    def last_epoch(self):
        return next((r for r in reversed(self.records) if r["kind"] == "epoch"), None)

    def epochs(self):
        return [{"epochNumber": r["epochNumber"], "epochId": r["epochId"], "epochPosition": r["pos"]}
                for r in self.records if r["kind"] == "epoch"]

    def since(self, position, limit_bytes):
        """Records from `position` on, at least one, up to about limit_bytes."""
        with self.lock:
            out, total = [], 0
            for record in self._from(position):
                if out and total + record["size"] > limit_bytes:
                    break
                out.append(record)
                total += record["size"]
            return out

    def _from(self, position):
        low, high = 0, len(self.records)
        while low < high:
            middle = (low + high) // 2
            if self.records[middle]["pos"] < position:
                low = middle + 1
            else:
                high = middle
        return self.records[low:]

    def stream(self, name):
        with self.lock:
            return list(self.streams.get(name, ()))

    def written(self, name):
        """Every event of the stream in the log, committed or not: the leader numbers and checks against these."""
        with self.lock:
            pending = [r for r in self._from(self.committed) if r["kind"] == "event" and r["stream"] == name]
            return list(self.streams.get(name, ())) + [r for r in pending if r["pos"] + r["size"] > self.committed]
