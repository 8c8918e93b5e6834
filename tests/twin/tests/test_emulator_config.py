"""The emulator reads and checks its configuration the way EventStoreDB 22.10 does (no network needed)."""
import json
import subprocess
import sys

import pytest

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import EMULATOR, run

UNKNOWN_TAIL = "Found unknown options. To continue anyway, set AllowUnknownOptions to true."


def paths(tmp_path):
    return ["--db", str(tmp_path / "db"), "--log", str(tmp_path / "log")]


def write_conf(tmp_path, text):
    conf = tmp_path / "eventstore.conf"
    conf.write_text("---\n" + text)
    return ["--config", str(conf)]


def test_version_says_it_is_a_test_double():
    result = run(["--version"])
    assert result.returncode == 0
    assert "EventStoreDB version 22.10.0.0" in result.stdout
    assert "esdb.cluster test emulator, not EventStoreDB" in result.stdout


def test_runs_through_a_symlink(tmp_path):
    link = tmp_path / "eventstored"
    link.symlink_to(EMULATOR)
    result = subprocess.run([sys.executable, str(link), "--version"], capture_output=True, text=True, check=False,
                            timeout=20)
    assert result.returncode == 0 and "22.10.0.0" in result.stdout


def test_help_lists_gnu_style_options(tmp_path):
    result = run(["--help"] + paths(tmp_path))
    assert result.returncode == 0
    assert "--gossip-seed" in result.stdout and "--int-tcp-heartbeat-interval=700" in result.stdout


@pytest.mark.parametrize("where, key, shown", [
    ("file", "IntHttpPort", '"IntHttpPort"'),
    ("file", "AdminOnExt", '"AdminOnExt"'),
    ("file", "ReplicationIp", '"ReplicationIp"'),
    ("env", "EVENTSTORE_EXT_SECURE_TCP_PORT", '"ExtSecureTcpPort"'),
    ("cli", "--node-port", '"NodePort"'),
])
def test_unknown_option_is_fatal_with_the_22_10_lines(tmp_path, where, key, shown):
    args, env = paths(tmp_path) + ["--what-if"], {}
    if where == "file":
        args += write_conf(tmp_path, "%s: 1\n" % key)
    elif where == "env":
        env[key] = "1"
    else:
        args += [key, "1"]
    result = run(args, env)
    assert result.returncode == 1
    assert "FTL] The option %s is not a known option." % shown in result.stdout
    assert "FTL] " + UNKNOWN_TAIL in result.stdout
    assert "Options:\nOPTION" in result.stdout


# Option names from the 22.10 fact sheet (an independent list, not the emulator's own table).
FACT_SHEET_KEYS = """Db Index Log MemDb Insecure IntIp ExtIp HttpPort IntTcpPort ExtTcpPort EnableExternalTcp
EnableAtomPubOverHttp DisableExternalTcpTls DisableInternalTcpTls GossipOnSingleNode ClusterSize NodePriority
ReadOnlyReplica UnsafeAllowSurplusNodes DiscoverViaDns ClusterDns ClusterGossipPort GossipSeed GossipIntervalMs
GossipTimeoutMs GossipAllowedDifferenceMs DeadMemberRemovalPeriodSec LeaderElectionTimeoutMs CommitCount PrepareCount
IntTcpHeartbeatInterval IntTcpHeartbeatTimeout ExtTcpHeartbeatInterval ExtTcpHeartbeatTimeout CommitTimeoutMs
PrepareTimeoutMs WriteTimeoutMs RunProjections StartStandardProjections ProjectionThreads ProjectionsQueryExpiry
FaultOutOfOrderProjections ProjectionCompilationTimeout ProjectionExecutionTimeout CertificateFile
CertificatePrivateKeyFile CertificatePassword TrustedRootCertificatesPath CertificateReservedNodeCommonName
AdvertiseHostToClientAs AdvertiseHttpPortToClientAs AdvertiseTcpPortToClientAs ExtHostAdvertiseAs IntHostAdvertiseAs
HttpPortAdvertiseAs IntTcpPortAdvertiseAs ExtTcpPortAdvertiseAs DisableAdminUi DisableStatsOnHttp DisableGossipOnHttp
EnableTrustedAuth KeepAliveInterval KeepAliveTimeout AllowUnknownOptions StatsPeriodSec WorkerThreads
ReaderThreadsCount StreamInfoCacheCapacity MaxAppendSize AuthenticationType AuthorizationType SkipDbVerify
SkipIndexVerify UnsafeDisableFlushToDisk UnsafeIgnoreHardDelete OptimizeIndexMerge AlwaysKeepScavenged
ReduceFileCachePressure StreamExistenceFilterSize ChunksCacheSize CachedChunks MaxMemTableSize InitializationThreads
MaxTruncation DbLogFormat ScavengeBackendPageSize ScavengeBackendCacheSize WriteStatsToDb Dev RemoveDevCerts
QuorumSize PrepareAckCount CommitAckCount LogLevel LogConsoleFormat LogFileSize LogFileInterval
LogFileRetentionCount DisableLogFile LogConfig""".split()


def test_every_22_10_option_name_is_known(tmp_path):
    keys = [k for k in FACT_SHEET_KEYS if k not in ("Db", "Log")]
    args = paths(tmp_path) + write_conf(tmp_path, "".join("%s: ~\n" % key for key in keys))
    result = run(args + ["--what-if"])
    assert result.returncode == 0, result.stdout
    assert "is not a known option" not in result.stdout


def test_allow_unknown_options_logs_and_continues(tmp_path):
    args = paths(tmp_path) + write_conf(tmp_path, "IntHttpPort: 2112\nAllowUnknownOptions: true\n")
    result = run(args + ["--what-if"])
    assert result.returncode == 0
    assert 'INF] The option "IntHttpPort" is not a known option.' in result.stdout
    assert UNKNOWN_TAIL not in result.stdout


@pytest.mark.parametrize("text, message", [
    ("ClusterSize: 3\nclustersize: 5\n", "System.FormatException: Duplicate key 'clustersize' found."),
    ("ClusterSize: three\n", "Failed to convert configuration value at 'ClusterSize' to type 'System.Int32'."),
    ("HttpPort: 99999999999\n", "Failed to convert configuration value at 'HttpPort' to type 'System.Int32'."),
    ("Insecure: yes\n", "Failed to convert configuration value at 'Insecure' to type 'System.Boolean'."),
    ("RunProjections: Some\n", "Failed to convert configuration value at 'RunProjections' to type "
                               "'EventStore.Common.Options.ProjectionType'."),
    ("IntIp: 10.0.0.300\n", "System.FormatException: An invalid IP address was specified."),
    ("GossipSeed: 10.0.0.2\n", "System.Exception: You must specify the ports in the gossip seed"),
    ("GossipSeed: [10.0.0.2:2113, '10.0.0.3:x']\n", "Invalid format for gossip seed port: x"),
])
def test_bad_values_end_start_up(tmp_path, text, message):
    result = run(paths(tmp_path) + write_conf(tmp_path, text) + ["--what-if"])
    assert result.returncode == 1
    assert "FTL] Host terminated unexpectedly." in result.stdout
    assert message in result.stdout


@pytest.mark.parametrize("text, message", [
    ("ClusterSize: 3\nDiscoverViaDns: false\n",
     "Invalid Configuration: DNS discovery is disabled, but no gossip seed endpoints have been specified. "
     "Specify gossip seeds using the `GossipSeed` option."),
    ("GossipSeed: 127.0.10.2:2113,127.0.10.3:2113\nDiscoverViaDns: false\n",
     "The given ClusterSize is set to 1 but GossipSeeds are multiple. We will never be able to sync up with "
     "this configuration."),
    ("ReadOnlyReplica: true\n", "Invalid Configuration: This node cannot be configured as a Read Only Replica as "
                                "these node types are only supported in a clustered configuration."),
    ("ClusterSize: 0\n", "ClusterSize must be greater than 0."),
    ("Db: ~/data\n", "The given database path starts with a '~'. Event Store does not expand '~'."),
])
def test_start_up_rules_reject_the_node(tmp_path, text, message):
    args = write_conf(tmp_path, "Insecure: true\nLog: %s\nIntIp: 127.0.10.1\nExtIp: 127.0.10.1\n%s"
                      % (tmp_path / "log", text if "Db:" in text else text + "Db: %s\n" % (tmp_path / "db")))
    result = run(args)
    assert result.returncode == 1
    assert message in result.stdout


def test_index_equal_to_db_is_rejected(tmp_path):
    data = tmp_path / "data"
    result = run(["--insecure", "--db", str(data), "--index", str(data) + "/", "--log", str(tmp_path / "log")])
    assert result.returncode == 1
    assert "The given database (%s) and index (%s) paths cannot point to the same directory." % (data, data) \
        in result.stdout


def test_what_if_prints_effective_options_with_precedence(tmp_path):
    args = paths(tmp_path) + write_conf(tmp_path, "HttpPort: 2114\nIntTcpPort: 1114\nclustersize: 3\n"
                                                  "GossipSeed:\n  - 10.0.0.2:2113\n  - 10.0.0.3:2113\n")
    env = {"EVENTSTORE_HTTP_PORT": "2115", "EVENTSTORE_INT_TCP_PORT": "1115"}
    result = run(args + ["--http-port", "2116", "--what-if"], env)
    assert result.returncode == 0, result.stdout
    out = result.stdout
    assert "MODIFIED OPTIONS:" in out and "DEFAULT OPTIONS:" in out
    assert _row(out, "HTTP PORT") == "2116 (Command Line)"
    assert _row(out, "INT TCP PORT") == "1115 (Environment Variables)"
    assert _row(out, "GOSSIP SEED") == "10.0.0.2:2113,10.0.0.3:2113 (Yaml)"
    assert _row(out, "CLUSTERSIZE") == "3 (Yaml)"
    assert _row(out, "DISCOVER VIA DNS") == "True (<DEFAULT>)"


def test_config_path_from_the_environment(tmp_path):
    conf = write_conf(tmp_path, "ClusterSize: 5\n")[1]
    result = run(paths(tmp_path) + ["--what-if"], {"EVENTSTORE_CONFIG": conf})
    assert result.returncode == 0
    assert _row(result.stdout, "CLUSTER SIZE") == "5 (Yaml)"
    assert _row(result.stdout, "CONFIG") == "%s (Environment Variables)" % conf


def test_command_line_spellings_are_equivalent(tmp_path):
    result = run(paths(tmp_path) + ["-what-if", "--IntIp", "127.0.10.7", "--insecure", "--ext-ip=127.0.10.8"])
    assert result.returncode == 0
    assert _row(result.stdout, "INTIP") == "127.0.10.7 (Command Line)"
    assert _row(result.stdout, "INSECURE") == "true (Command Line)"
    assert _row(result.stdout, "EXT IP") == "127.0.10.8 (Command Line)"


def test_what_if_initialises_file_logging_under_log(tmp_path):
    result = run(paths(tmp_path) + ["--what-if", "--ext-ip", "127.0.10.1"])
    assert result.returncode == 0
    written = list((tmp_path / "log" / "127.0.10.1-2113-cluster-node").glob("log*.json"))
    assert written, "--what-if must create the log file under Log, as 22.10 does"


def test_json_console_and_disabled_log_file(tmp_path):
    result = run(paths(tmp_path) + ["--what-if", "--log-console-format", "Json", "--disable-log-file"])
    assert result.returncode == 0
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert any(event["@mt"].startswith("MODIFIED OPTIONS:") for event in events)
    assert not (tmp_path / "log").exists()


def test_deprecated_option_warns(tmp_path):
    result = run(paths(tmp_path) + ["--what-if", "--enable-atom-pub-over-http"])
    assert result.returncode == 0
    assert "WRN] DEPRECATED" in result.stdout and "AtomPub over HTTP Interface has been deprecated" in result.stdout


def _row(out, name):
    for line in out.splitlines():
        if line.strip().startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no %s row in the options dump" % name)
