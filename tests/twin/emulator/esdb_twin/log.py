"""Logging shaped like 22.10's Serilog set-up: a console line per event and, once initialised, JSON files
under `<Log>/<ExtIp>-<HttpPort>-cluster-node/` (log<yyyyMMdd>.json and log-err<yyyyMMdd>.json).
"""
import datetime
import json
import os
import re
import sys
import threading

LEVELS = ["Verbose", "Debug", "Information", "Warning", "Error", "Fatal"]
SHORT = {"Verbose": "VRB", "Debug": "DBG", "Information": "INF", "Warning": "WRN", "Error": "ERR", "Fatal": "FTL"}
_HOLE = re.compile(r"\{@?(\w+)(?:,(-?\d+))?(?::[^}]*)?\}")


class Plain(str):
    """A value Serilog renders without quotes (an enum or flags value)."""


def render(template, params):
    """Serilog's plain rendering: string values are quoted, others printed as they are."""
    def hole(match):
        if match.group(1) not in params:
            return match.group(0)
        value = params[match.group(1)]
        quoted = isinstance(value, str) and not isinstance(value, Plain)
        text = "null" if value is None else '"%s"' % value if quoted else str(value)
        width = int(match.group(2) or 0)
        return text.ljust(-width) if width < 0 else text.rjust(width)
    return _HOLE.sub(hole, template)


class Logger:
    def __init__(self, stream=None):
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._threads = {}
        self._minimum = 2
        self._json_console = False
        self._directory = None
        self._failed = False

    def initialise(self, log_dir, component, level="Default", console_format="Plain", disable_file=False):
        """Mirror of 22.10's EventStoreLoggerConfiguration.Initialize: files are opened on first write."""
        self._minimum = 2 if level == "Default" else LEVELS.index(level)
        self._json_console = console_format == "Json"
        self._directory = None if disable_file else os.path.join(log_dir, component)

    def _thread_id(self):
        ident = threading.get_ident()
        if ident not in self._threads:
            self._threads[ident] = len(self._threads) + 1
        return self._threads[ident]

    def write(self, level, template, exception=None, **params):
        if LEVELS.index(level) < self._minimum:
            return
        now = datetime.datetime.now(datetime.timezone.utc)
        message = render(template, params)
        event = {"@t": now.isoformat().replace("+00:00", "Z"), "@mt": template, "@l": level}
        event.update({k: v if isinstance(v, (int, float, bool)) else str(v) for k, v in params.items()})
        if exception:
            event["@x"] = "\n".join(exception)
        with self._lock:
            if self._json_console:
                console = json.dumps(event)
            else:
                console = "[%5d,%2d,%s,%s] %s" % (os.getpid(), self._thread_id(),
                                                  now.astimezone().strftime("%H:%M:%S.%f")[:-3],
                                                  SHORT[level], message)
                if exception:
                    console += "\n" + "\n".join(exception)
            try:
                self._stream.write(console + "\n")
                self._stream.flush()
            except (OSError, ValueError):
                pass
            self._to_files(now, event, level)

    def _to_files(self, now, event, level):
        if self._directory is None or self._failed:
            return
        day = now.astimezone().strftime("%Y%m%d")
        line = json.dumps(event) + "\n"
        try:
            os.makedirs(self._directory, exist_ok=True)
            with open(os.path.join(self._directory, "log%s.json" % day), "a", encoding="utf-8") as handle:
                handle.write(line)
            if LEVELS.index(level) >= LEVELS.index("Error"):
                with open(os.path.join(self._directory, "log-err%s.json" % day), "a", encoding="utf-8") as handle:
                    handle.write(line)
        except OSError:
            # Serilog's file sink fails silently (SelfLog); the console keeps working.
            self._failed = True

    def debug(self, template, **params):
        self.write("Debug", template, **params)

    def info(self, template, **params):
        self.write("Information", template, **params)

    def warning(self, template, **params):
        self.write("Warning", template, **params)

    def error(self, template, **params):
        self.write("Error", template, **params)

    def fatal(self, template, exception=None, **params):
        self.write("Fatal", template, exception=exception, **params)


LOG = Logger()
