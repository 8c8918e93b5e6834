"""Cluster members as gossip carries them, and the 22.10 /gossip JSON view of them.

A member is a plain dict. Node-to-node gossip carries every field below; GET /gossip shows clients the
20 ClientMemberInfo fields, derived the way 22.10 derives them (advertise-to-client overrides included).
"""
import datetime
import socket

from .state import EMPTY_ID

STATES = ["Initializing", "DiscoverLeader", "Unknown", "PreReplica", "CatchingUp", "Clone", "Follower",
          "PreLeader", "Leader", "Manager", "ShuttingDown", "Shutdown", "ReadOnlyLeaderless",
          "PreReadOnlyReplica", "ReadOnlyReplica", "ResigningLeader"]
CLIENT_KEYS = ["instanceId", "timeStamp", "state", "isAlive", "internalTcpIp", "internalTcpPort",
               "internalSecureTcpPort", "externalTcpIp", "externalTcpPort", "externalSecureTcpPort",
               "httpEndPointIp", "httpEndPointPort", "lastCommitPosition", "writerCheckpoint", "chaserCheckpoint",
               "epochPosition", "epochNumber", "epochId", "nodePriority", "isReadOnlyReplica"]


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def timestamp(moment):
    """ISO 8601 the way Newtonsoft writes a UTC DateTime: up to 7 fractional digits, trailing zeros dropped."""
    fraction = ("%06d0" % moment.microsecond).rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ("." + fraction if fraction else "") + "Z"


def parse_timestamp(text):
    head, _dot, fraction = text.rstrip("Z").partition(".")
    moment = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return moment + datetime.timedelta(microseconds=int((fraction + "000000")[:6]))


def endpoint(member):
    return (member["httpHost"], member["httpPort"])


def placeholder(host, port, now):
    """A gossip seed nobody has talked to yet, as 22.10's MemberInfo.ForManager(Guid.Empty, now, true, seed)
    builds it: all-zero instance id, state Manager, alive until a gossip to it fails, checkpoints -1."""
    return {"instanceId": EMPTY_ID, "timeStamp": timestamp(now), "state": "Manager", "isAlive": True,
            "httpHost": host, "httpPort": port, "internalTcpHost": host, "internalTcpPort": port,
            "internalSecureTcpPort": 0, "externalTcpHost": host, "externalTcpPort": port,
            "externalSecureTcpPort": 0, "lastCommitPosition": -1, "writerCheckpoint": -1,
            "chaserCheckpoint": -1, "epochPosition": -1, "epochNumber": -1, "epochId": EMPTY_ID,
            "nodePriority": 0, "isReadOnlyReplica": False, "advertiseHostToClientAs": None,
            "advertiseHttpPortToClientAs": 0, "advertiseTcpPortToClientAs": 0}


def non_loopback_address():
    """The first non-loopback IPv4 address (a UDP connect only picks a route; nothing is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def advertised_hosts(config):
    """22.10's GetGossipAdvertiseInfo: (internal host, external/HTTP host)."""
    internal = config.IntHostAdvertiseAs or config.IntIp
    external = config.ExtHostAdvertiseAs or config.ExtIp
    if "0.0.0.0" in (config.IntIp, config.ExtIp):
        fallback = non_loopback_address() if config.ClusterSize > 1 else "127.0.0.1"
        if config.IntIp == "0.0.0.0" and config.IntHostAdvertiseAs is None:
            internal = fallback
        if config.ExtIp == "0.0.0.0" and config.ExtHostAdvertiseAs is None:
            external = fallback
    return internal, external


def initial_self(config, instance_id, now):
    internal, external = advertised_hosts(config)
    secure = not config.Insecure
    external_secure = secure and not config.DisableExternalTcpTls
    int_port = config.IntTcpPortAdvertiseAs or config.IntTcpPort
    ext_port = (config.ExtTcpPortAdvertiseAs if config.EnableExternalTcp and config.ExtTcpPortAdvertiseAs
                else config.ExtTcpPort)
    me = placeholder(external, config.HttpPortAdvertiseAs or config.HttpPort, now)
    me.update({"instanceId": instance_id, "state": "Initializing", "isAlive": True,
               "internalTcpHost": internal, "internalTcpPort": 0 if secure else int_port,
               "internalSecureTcpPort": int_port if secure else 0, "externalTcpHost": external,
               "externalTcpPort": 0 if external_secure else ext_port,
               "externalSecureTcpPort": ext_port if external_secure else 0,
               "nodePriority": config.NodePriority, "isReadOnlyReplica": config.ReadOnlyReplica,
               "advertiseHostToClientAs": config.AdvertiseHostToClientAs,
               "advertiseHttpPortToClientAs": config.AdvertiseHttpPortToClientAs,
               "advertiseTcpPortToClientAs": config.AdvertiseTcpPortToClientAs})
    return me


def client_view(member):
    """One entry of GET /gossip, in 22.10's key order."""
    to_client_host = member.get("advertiseHostToClientAs")
    to_client_http = member.get("advertiseHttpPortToClientAs") or 0
    to_client_tcp = member.get("advertiseTcpPortToClientAs") or 0
    view = dict((key, member[key]) for key in CLIENT_KEYS if key in member)
    view.update({
        "internalTcpIp": member["internalTcpHost"],
        "externalTcpIp": to_client_host or member["externalTcpHost"],
        "externalTcpPort": to_client_tcp or member["externalTcpPort"],
        "externalSecureTcpPort": to_client_tcp or member["externalSecureTcpPort"],
        "httpEndPointIp": to_client_host or member["httpHost"],
        "httpEndPointPort": to_client_http or member["httpPort"],
    })
    return dict((key, view[key]) for key in CLIENT_KEYS)


def is_more_up_to_date(candidate, existing):
    """22.10's IsMoreUpToDate: epoch, then writer checkpoint, then time stamp."""
    for key in ("epochNumber", "writerCheckpoint"):
        if candidate[key] != existing[key]:
            return candidate[key] > existing[key]
    return parse_timestamp(candidate["timeStamp"]) > parse_timestamp(existing["timeStamp"])
