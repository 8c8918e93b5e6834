"""22.10's ClusterVNode construction rules: checks that run after --what-if would have exited."""
import os

from .certs import load_identity
from .errors import app_init, host_terminated, invalid_configuration
from .log import LOG


def _out_of_range(name, value, message):
    return host_terminated("System.ArgumentOutOfRangeException",
                           "%s (Parameter '%s')\nActual value was %s." % (message, name, value))


def validate(config):
    """Raise StartupFailure for the first rule that fails, in 22.10's order; return the TLS identity or None."""
    if config.ClusterSize <= 0:
        raise _out_of_range("ClusterSize", config.ClusterSize, "ClusterSize must be greater than 0.")
    identity = None
    if not config.Insecure:
        identity = load_identity(config)
    if config.InitializationThreads <= 0:
        raise _out_of_range("InitializationThreads", config.InitializationThreads,
                            "InitializationThreads must be greater than 0.")
    for name in ("KeepAliveTimeout", "KeepAliveInterval"):
        if config.values[name] < 0:
            raise host_terminated("System.ArgumentOutOfRangeException",
                                  "Specified argument was out of the range of valid values. (Parameter 'Invalid %s "
                                  "%s. Please provide a positive integer.')" % (name, config.values[name]))
    if config.DiscoverViaDns and not (config.ClusterDns or "").strip():
        raise host_terminated("System.ArgumentException", "Either DNS Discovery must be disabled (and seeds "
                              "specified), or a cluster DNS name must be provided.")
    if config.Db.startswith("~"):
        raise app_init("The given database path starts with a '~'. Event Store does not expand '~'.")
    if config.Index is not None:
        db, index = os.path.abspath(config.Db), os.path.abspath(config.Index)
        if db == index:
            raise app_init("The given database (%s) and index (%s) paths cannot point to the same directory."
                           % (db, index))
    if len(config.GossipSeed) > 1 and config.ClusterSize == 1:
        raise app_init("The given ClusterSize is set to 1 but GossipSeeds are multiple. We will never be able to "
                       "sync up with this configuration.")
    if config.ReadOnlyReplica and config.ClusterSize <= 1:
        raise invalid_configuration("This node cannot be configured as a Read Only Replica as these node types are "
                                    "only supported in a clustered configuration.")
    LOG.info("Quorum size set to {quorum}.", quorum=max(config.PrepareCount, config.quorum))
    if not config.DiscoverViaDns and config.ClusterSize > 1 and not config.GossipSeed:
        raise invalid_configuration("DNS discovery is disabled, but no gossip seed endpoints have been specified. "
                                    "Specify gossip seeds using the `GossipSeed` option.")
    return identity
