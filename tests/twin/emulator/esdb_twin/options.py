"""The EventStoreDB 22.10 option set: names, types, defaults, groups and deprecations.

Defaults are written the way 22.10's default configuration source renders them (`False`, not `false`),
because `--what-if` prints them that way. `None` means the option has no default value.
"""

ENUMS = {
    "LogLevel": ("EventStore.Common.Options.LogLevel",
                 ["Default", "Verbose", "Debug", "Information", "Warning", "Error", "Fatal"]),
    "LogConsoleFormat": ("EventStore.Common.Options.LogConsoleFormat", ["Plain", "Json"]),
    "RollingInterval": ("Serilog.RollingInterval", ["Infinite", "Year", "Month", "Day", "Hour", "Minute"]),
    "StatsStorage": ("EventStore.Core.Services.Monitoring.StatsStorage", ["None", "Stream", "File", "StreamAndFile"]),
    "DbLogFormat": ("EventStore.Common.Options.DbLogFormat", ["V2", "ExperimentalV3"]),
    "ProjectionType": ("EventStore.Common.Options.ProjectionType", ["None", "System", "All"]),
}

F, T = "False", "True"

GROUPS = [
    ("Application Options", [
        ("Help", "bool", F), ("Version", "bool", F), ("Config", "string", "/etc/eventstore/eventstore.conf"),
        ("WhatIf", "bool", F), ("AllowUnknownOptions", "bool", F), ("DisableHttpCaching", "bool", F),
        ("StatsPeriodSec", "int", "30"), ("WorkerThreads", "int", "0"), ("EnableHistograms", "bool", F),
        ("LogHttpRequests", "bool", F), ("LogFailedAuthenticationAttempts", "bool", F),
        ("SkipIndexScanOnReads", "bool", F), ("MaxAppendSize", "int", "1048576"), ("Insecure", "bool", F)]),
    ("Dev mode Options", [("Dev", "bool", F), ("RemoveDevCerts", "bool", F)]),
    ("Logging Options", [
        ("Log", "string", "/var/log/eventstore"), ("LogConfig", "string", "logconfig.json"),
        ("LogLevel", "LogLevel", "Default"), ("LogConsoleFormat", "LogConsoleFormat", "Plain"),
        ("LogFileSize", "int", "1073741824"), ("LogFileInterval", "RollingInterval", "Day"),
        ("LogFileRetentionCount", "int", "31"), ("DisableLogFile", "bool", F)]),
    ("Authentication/Authorization Options", [
        ("AuthorizationType", "string", "internal"), ("AuthorizationConfig", "string?", None),
        ("AuthenticationType", "string", "internal"), ("AuthenticationConfig", "string?", None),
        ("DisableFirstLevelHttpAuthorization", "bool", F)]),
    ("Certificate Options", [
        ("TrustedRootCertificatesPath", "string?", None),
        ("CertificateReservedNodeCommonName", "string", "eventstoredb-node")]),
    ("Certificate Options (from file)", [
        ("CertificateFile", "string?", None), ("CertificatePrivateKeyFile", "string?", None),
        ("CertificatePassword", "string?", None)]),
    ("Certificate Options (from store)", [
        (name, "string", "") for name in (
            "CertificateStoreLocation", "CertificateStoreName", "CertificateSubjectName", "CertificateThumbprint",
            "TrustedRootCertificateStoreName", "TrustedRootCertificateStoreLocation",
            "TrustedRootCertificateSubjectName", "TrustedRootCertificateThumbprint")]),
    ("Cluster Options", [
        ("StreamInfoCacheCapacity", "int", "0"), ("ClusterSize", "int", "1"), ("NodePriority", "int", "0"),
        ("CommitCount", "int", "-1"), ("PrepareCount", "int", "-1"), ("DiscoverViaDns", "bool", T),
        ("ClusterDns", "string", "fake.dns"), ("ClusterGossipPort", "int", "2113"),
        ("GossipSeed", "endpoints", ""), ("GossipIntervalMs", "int", "2000"),
        ("GossipAllowedDifferenceMs", "int", "60000"), ("GossipTimeoutMs", "int", "2500"),
        ("ReadOnlyReplica", "bool", F), ("UnsafeAllowSurplusNodes", "bool", F),
        ("DeadMemberRemovalPeriodSec", "int", "1800"), ("LeaderElectionTimeoutMs", "int", "1000"),
        # Computed read-only properties: known (so accepted) but their values are ignored.
        ("QuorumSize", "int", "1"), ("PrepareAckCount", "int", "1"), ("CommitAckCount", "int", "1")]),
    ("Database Options", [
        ("MinFlushDelayMs", "double", "2"), ("DisableScavengeMerging", "bool", F),
        ("ScavengeHistoryMaxAge", "int", "30"), ("CachedChunks", "int", "-1"),
        ("ChunksCacheSize", "long", "536871424"), ("MaxMemTableSize", "int", "1000000"),
        ("HashCollisionReadLimit", "int", "100"), ("Db", "string", "/var/lib/eventstore"),
        ("Index", "string?", None), ("MemDb", "bool", F), ("UseIndexBloomFilters", "bool", T),
        ("IndexCacheSize", "int", "0"), ("SkipDbVerify", "bool", F), ("WriteThrough", "bool", F),
        ("Unbuffered", "bool", F), ("ChunkInitialReaderCount", "int", "5"), ("PrepareTimeoutMs", "int", "2000"),
        ("CommitTimeoutMs", "int", "2000"), ("WriteTimeoutMs", "int", "2000"),
        ("UnsafeDisableFlushToDisk", "bool", F), ("UnsafeIgnoreHardDelete", "bool", F),
        ("SkipIndexVerify", "bool", F), ("IndexCacheDepth", "int", "16"), ("OptimizeIndexMerge", "bool", F),
        ("AlwaysKeepScavenged", "bool", F), ("ReduceFileCachePressure", "bool", F),
        ("InitializationThreads", "int", "1"), ("ReaderThreadsCount", "int", "0"),
        ("MaxAutoMergeIndexLevel", "int", "2147483647"), ("WriteStatsToDb", "bool", F),
        ("MaxTruncation", "long", "268435456"), ("ChunkSize", "int", "268435456"),
        ("StatsStorage", "StatsStorage", "File"), ("DbLogFormat", "DbLogFormat", "V2"),
        ("StreamExistenceFilterSize", "long", "256000000"), ("ScavengeBackendPageSize", "int", "16384"),
        ("ScavengeBackendCacheSize", "long", "67108864"), ("ScavengeHashUsersCacheCapacity", "int", "100000")]),
    ("gRPC Options", [("KeepAliveInterval", "int", "10000"), ("KeepAliveTimeout", "int", "10000")]),
    ("Interface Options", [
        ("IntIp", "ip", "127.0.0.1"), ("ExtIp", "ip", "127.0.0.1"), ("HttpPort", "int", "2113"),
        ("EnableExternalTcp", "bool", F), ("IntTcpPort", "int", "1112"), ("ExtTcpPort", "int", "1113"),
        ("ExtHostAdvertiseAs", "string?", None), ("IntHostAdvertiseAs", "string?", None),
        ("AdvertiseHostToClientAs", "string?", None), ("AdvertiseHttpPortToClientAs", "int", "0"),
        ("AdvertiseTcpPortToClientAs", "int", "0"), ("ExtTcpPortAdvertiseAs", "int", "0"),
        ("HttpPortAdvertiseAs", "int", "0"), ("IntTcpPortAdvertiseAs", "int", "0"),
        ("IntTcpHeartbeatTimeout", "int", "700"), ("ExtTcpHeartbeatTimeout", "int", "1000"),
        ("IntTcpHeartbeatInterval", "int", "700"), ("ExtTcpHeartbeatInterval", "int", "2000"),
        ("GossipOnSingleNode", "bool?", None), ("ConnectionPendingSendBytesThreshold", "int", "10485760"),
        ("ConnectionQueueSizeThreshold", "int", "50000"), ("DisableAdminUi", "bool", F),
        ("DisableStatsOnHttp", "bool", F), ("DisableGossipOnHttp", "bool", F), ("EnableTrustedAuth", "bool", F),
        ("DisableInternalTcpTls", "bool", F), ("DisableExternalTcpTls", "bool", F),
        ("EnableAtomPubOverHttp", "bool", F)]),
    ("Projection Options", [
        ("RunProjections", "ProjectionType", "None"), ("StartStandardProjections", "bool", F),
        ("ProjectionThreads", "int", "3"), ("ProjectionsQueryExpiry", "int", "5"),
        ("FaultOutOfOrderProjections", "bool", F), ("ProjectionCompilationTimeout", "int", "500"),
        ("ProjectionExecutionTimeout", "int", "250")]),
]

DEPRECATED = {
    "EnableExternalTcp": "The Legacy TCP Client Interface has been deprecated as of version 20.6.0. "
                         "It is recommended to use gRPC instead.",
    "GossipOnSingleNode": "The 'GossipOnSingleNode' option has been deprecated as of version 21.2.",
    "DisableInternalTcpTls": "The 'DisableInternalTcpTls' option has been deprecated as of version 20.6.1 and "
                             "currently has no effect. Please use the 'Insecure' option instead.",
    "DisableExternalTcpTls": "The 'DisableExternalTcpTls' option has been deprecated as of version 20.6.1.",
    "EnableAtomPubOverHttp": "AtomPub over HTTP Interface has been deprecated as of version 20.6.0. "
                             "It is recommended to use gRPC instead",
}

SENSITIVE = {"CertificatePassword"}

# 22.10 collects "known" names by reflection over every public property of ClusterVNodeOptions' members,
# which also sweeps in the properties of its certificate and collection members (inferred from .NET reflection).
INCIDENTAL_KNOWN = [
    "Keys", "Item", "Capacity", "Count", "Archived", "Extensions", "FriendlyName", "HasPrivateKey", "IssuerName",
    "NotAfter", "NotBefore", "PrivateKey", "PublicKey", "RawData", "SerialNumber", "SignatureAlgorithm",
    "SubjectName", "Thumbprint", "Handle", "Issuer", "Subject",
]

OPTIONS = {name: (kind, default, group) for group, items in GROUPS for name, kind, default in items}
BY_LOWER = {name.lower(): name for name in OPTIONS}
KNOWN_LOWER = set(BY_LOWER) | {name.lower() for name in INCIDENTAL_KNOWN}
