"""Entry point, following 22.10's Program.Main step by step (options, logging, checks, then the node)."""
import os
import platform
import signal
import sys
import threading
import time

from . import version
from .config import build
from .dump import deprecation_warnings, help_text, options_dump
from .errors import StartupFailure, app_init
from .http_api import Server
from .log import LOG, Plain
from .node import Node
from .replication import ReplicationServer
from .startup import validate
from .state import NodeState
from .twin_settings import db_open_seconds

INSECURE_BANNER = (
    "\n" + "=" * 110 + "\nINSECURE MODE IS ON. THIS MODE IS *NOT* RECOMMENDED FOR PRODUCTION USE.\n"
    "INSECURE MODE WILL DISABLE ALL AUTHENTICATION, AUTHORIZATION AND TRANSPORT SECURITY FOR ALL CLIENTS AND "
    "NODES.\n" + "=" * 110 + "\n")


def _unhandled(hook):
    """Like .NET, an exception nobody handles ends the process (after saying so), rather than a silent thread."""
    LOG.fatal("Global Unhandled Exception occurred.", exception=["%s: %s" % (hook.exc_type.__name__, hook.exc_value)])
    os._exit(1)  # pylint: disable=protected-access


def main(argv=None, environ=None):
    threading.excepthook = _unhandled
    argv = sys.argv[1:] if argv is None else argv
    environ = os.environ if environ is None else environ
    try:
        return _run(argv, environ)
    except StartupFailure as failure:
        LOG.fatal(failure.fatal, exception=failure.detail)
        return 1


def _run(argv, environ):
    config = build(argv, environ)
    log_dir = config.Log if config.Log and config.Log.strip() else "/var/log/eventstore"
    if log_dir.startswith("~"):
        raise app_init("The given log path starts with a '~'. Event Store does not expand '~'.")
    LOG.initialise(log_dir, config.component_name, config.LogLevel, config.LogConsoleFormat, config.DisableLogFile)
    if config.Help:
        sys.stdout.write(help_text() + "\n")
        return 0
    if config.Version:
        sys.stdout.write(version.TEXT + "\n")
        return 0
    if config.RemoveDevCerts:
        LOG.info("Removing EventStoreDB dev certs.")
        LOG.info("Dev certs removed. Exiting.")
        return 0
    _preamble(config, log_dir)
    if _unknown_options(config):
        return 1
    if config.Dev:
        LOG.fatal("Could not ensure dev certificate is available. Reason: {result}",
                  result=Plain("NotSupportedByTheTestEmulator"))
        return 1
    warnings = deprecation_warnings(config)
    if warnings:
        LOG.warning("DEPRECATED\n" + warnings)
    if config.Insecure:
        LOG.warning(INSECURE_BANNER)
    if not config.DiscoverViaDns and not config.GossipSeed and config.ClusterSize == 1:
        LOG.info("DNS discovery is disabled, but no gossip seed endpoints have been specified. Since the cluster "
                 "size is set to 1, this may be intentional. Gossip seeds can be specified using the `GossipSeed` "
                 "option.")
    if config.WhatIf:
        return 0
    return _serve(config)


def _preamble(config, log_dir):
    LOG.info("\n{description,-25} {version} ({branch}/{hashtag}, {timestamp})", description=Plain("ES VERSION:"),
             version=version.FOUR_PART, branch=version.TAG, hashtag="esdb.cluster-twin", timestamp="Unknown")
    LOG.info("THIS IS THE esdb.cluster TEST EMULATOR, NOT EventStoreDB.")
    LOG.info("{description,-25} {osArchitecture} ", description=Plain("OS ARCHITECTURE:"),
             osArchitecture=Plain(platform.machine()))
    LOG.info("{description,-25} {osFlavor} ({osVersion})", description=Plain("OS:"), osFlavor=Plain("Linux"),
             osVersion=Plain(platform.platform()))
    LOG.info("{description,-25} {logsDirectory}", description=Plain("LOGS:"), logsDirectory=log_dir)
    LOG.info(options_dump(config))


def _unknown_options(config):
    level = "Information" if config.AllowUnknownOptions else "Fatal"
    for key in config.unknown:
        LOG.write(level, "The option {key} is not a known option.", key=key)
    if config.unknown and not config.AllowUnknownOptions:
        LOG.fatal("Found unknown options. To continue anyway, set AllowUnknownOptions to true.")
        LOG.info("Options:\n" + help_text())
        return True
    return False


def _serve(config):
    identity = validate(config)
    state = NodeState(config.Db, config.index_path, in_memory=config.MemDb, chunk_size=config.ChunkSize)
    if state.log.truncated_from is not None:
        # ClusterVNode.cs l.627-637: a truncate checkpoint left by a replica is applied before the database opens.
        LOG.info("Truncate checkpoint is present. Truncate: {truncatePosition}, Writer: {writerCheckpoint}",
                 truncatePosition=state.writer_checkpoint, writerCheckpoint=state.log.truncated_from)
    node = Node(config, identity, state)
    # 22.10 opens the database in the ClusterVNode constructor (ClusterVNode.cs l.639), before the host starts
    # Kestrel: nothing listens on HttpPort meanwhile.
    time.sleep(db_open_seconds())
    LOG.info("========== [{httpEndPoint}] SYSTEM INIT...", httpEndPoint=node.name)
    try:
        replication = ReplicationServer(node, identity.server_context() if identity else None)
        http = Server((config.ExtIp, config.HttpPort), node, identity.server_context() if identity else None)
    except OSError as exc:
        reason = "System.IO.IOException: Failed to bind to address (%s)" % exc.strerror
        LOG.fatal("Error occurred during setup: {e}", e=Plain(reason))
        return 1
    replication.start()
    threading.Thread(target=http.serve_forever, args=(0.2,), name="http", daemon=True).start()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: threading.Thread(target=node.shutdown, daemon=True).start())
    node.start()
    node.wait()
    http.shutdown()
    http.server_close()
    replication.stop()
    return 0
