# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The eventstore.conf option names EventStoreDB 22.10 knows, and what other names mean.

KNOWN_OPTIONS: every public property of ClusterVNodeOptions at oss-v22.10.0 (identical at
oss-v22.10.5). Any other key makes the server exit with code 1 at start-up
(src/EventStore.ClusterNode/Program.cs), so preflight rejects it first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

KNOWN_OPTIONS = frozenset((
    'AdvertiseHostToClientAs', 'AdvertiseHttpPortToClientAs', 'AdvertiseTcpPortToClientAs',
    'AllowUnknownOptions', 'AlwaysKeepScavenged', 'AuthenticationConfig', 'AuthenticationType',
    'AuthorizationConfig', 'AuthorizationType', 'CachedChunks', 'CertificateFile',
    'CertificatePassword', 'CertificatePrivateKeyFile', 'CertificateReservedNodeCommonName',
    'CertificateStoreLocation', 'CertificateStoreName', 'CertificateSubjectName',
    'CertificateThumbprint', 'ChunkInitialReaderCount', 'ChunksCacheSize', 'ChunkSize',
    'ClusterDns', 'ClusterGossipPort', 'ClusterSize', 'CommitAckCount', 'CommitCount',
    'CommitTimeoutMs', 'Config', 'ConnectionPendingSendBytesThreshold',
    'ConnectionQueueSizeThreshold', 'Db', 'DbLogFormat', 'DeadMemberRemovalPeriodSec', 'Dev',
    'DisableAdminUi', 'DisableExternalTcpTls', 'DisableFirstLevelHttpAuthorization',
    'DisableGossipOnHttp', 'DisableHttpCaching', 'DisableInternalTcpTls', 'DisableLogFile',
    'DisableScavengeMerging', 'DisableStatsOnHttp', 'DiscoverViaDns', 'EnableAtomPubOverHttp',
    'EnableExternalTcp', 'EnableHistograms', 'EnableTrustedAuth', 'ExtHostAdvertiseAs', 'ExtIp',
    'ExtTcpHeartbeatInterval', 'ExtTcpHeartbeatTimeout', 'ExtTcpPort', 'ExtTcpPortAdvertiseAs',
    'FaultOutOfOrderProjections', 'GossipAllowedDifferenceMs', 'GossipIntervalMs',
    'GossipOnSingleNode', 'GossipSeed', 'GossipTimeoutMs', 'HashCollisionReadLimit', 'Help',
    'HttpPort', 'HttpPortAdvertiseAs', 'Index', 'IndexCacheDepth', 'IndexCacheSize',
    'InitializationThreads', 'Insecure', 'IntHostAdvertiseAs', 'IntIp', 'IntTcpHeartbeatInterval',
    'IntTcpHeartbeatTimeout', 'IntTcpPort', 'IntTcpPortAdvertiseAs', 'KeepAliveInterval',
    'KeepAliveTimeout', 'LeaderElectionTimeoutMs', 'Log', 'LogConfig', 'LogConsoleFormat',
    'LogFailedAuthenticationAttempts', 'LogFileInterval', 'LogFileRetentionCount', 'LogFileSize',
    'LogHttpRequests', 'LogLevel', 'MaxAppendSize', 'MaxAutoMergeIndexLevel', 'MaxMemTableSize',
    'MaxTruncation', 'MemDb', 'MinFlushDelayMs', 'NodePriority', 'OptimizeIndexMerge',
    'PrepareAckCount', 'PrepareCount', 'PrepareTimeoutMs', 'ProjectionCompilationTimeout',
    'ProjectionExecutionTimeout', 'ProjectionsQueryExpiry', 'ProjectionThreads', 'QuorumSize',
    'ReaderThreadsCount', 'ReadOnlyReplica', 'ReduceFileCachePressure', 'RemoveDevCerts',
    'RunProjections', 'ScavengeBackendCacheSize', 'ScavengeBackendPageSize',
    'ScavengeHashUsersCacheCapacity', 'ScavengeHistoryMaxAge', 'SkipDbVerify',
    'SkipIndexScanOnReads', 'SkipIndexVerify', 'StartStandardProjections', 'StatsPeriodSec',
    'StatsStorage', 'StreamExistenceFilterSize', 'StreamInfoCacheCapacity',
    'TrustedRootCertificatesPath', 'TrustedRootCertificateStoreLocation',
    'TrustedRootCertificateStoreName', 'TrustedRootCertificateSubjectName',
    'TrustedRootCertificateThumbprint', 'Unbuffered', 'UnsafeAllowSurplusNodes',
    'UnsafeDisableFlushToDisk', 'UnsafeIgnoreHardDelete', 'UseIndexBloomFilters', 'Version',
    'WhatIf', 'WorkerThreads', 'WriteStatsToDb', 'WriteThrough', 'WriteTimeoutMs',
))

# 23.10 names of 22.10 options (the old names still work in 23.10, the new ones are fatal in 22.10).
RENAMED_IN_23_10 = {
    'ReplicationIp': 'IntIp',
    'NodeIp': 'ExtIp',
    'NodePort': 'HttpPort',
    'ReplicationPort': 'IntTcpPort',
    'NodeTcpPort': 'ExtTcpPort',
    'NodeHostAdvertiseAs': 'ExtHostAdvertiseAs',
    'ReplicationHostAdvertiseAs': 'IntHostAdvertiseAs',
    'AdvertiseNodePortToClientAs': 'AdvertiseHttpPortToClientAs',
    'NodeTcpPortAdvertiseAs': 'ExtTcpPortAdvertiseAs',
    'NodePortAdvertiseAs': 'HttpPortAdvertiseAs',
    'ReplicationTcpPortAdvertiseAs': 'IntTcpPortAdvertiseAs',
    'ReplicationHeartbeatTimeout': 'IntTcpHeartbeatTimeout',
    'ReplicationHeartbeatInterval': 'IntTcpHeartbeatInterval',
    'NodeHeartbeatTimeout': 'ExtTcpHeartbeatTimeout',
    'NodeHeartbeatInterval': 'ExtTcpHeartbeatInterval',
}

# Options that first appeared in 23.10 and have no 22.10 equivalent.
NEW_IN_23_10 = frozenset((
    'AllowAnonymousEndpointAccess',
    'AllowAnonymousStreamAccess',
    'CertificatePrivateKeyPassword',
    'DefaultAdminPassword',
    'DefaultOpsPassword',
    'EnableUnixSocket',
    'OverrideAnonymousEndpointAccessForGossip',
    'TelemetryOptout',
))

# Options from earlier releases or docs that 22.10 no longer knows, with what replaced them.
REMOVED_BEFORE_22_10 = {
    'IntHttpPort': 'HttpPort (22.10 serves HTTP, gRPC and gossip on one port)',
    'ExtHttpPort': 'HttpPort (22.10 serves HTTP, gRPC and gossip on one port)',
    'ExtSecureTcpPort': 'ExtTcpPort',
    'IntSecureTcpPort': 'IntTcpPort',
    'AdminOnExt': 'DisableAdminUi',
    'StatsOnExt': 'DisableStatsOnHttp',
    'GossipOnExt': 'DisableGossipOnHttp',
}
