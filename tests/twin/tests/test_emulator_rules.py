"""The emulator's pure rules (candidate order, option sources, gossip time stamps), tested without processes."""
import datetime

import pytest

# esdb_twin is the emulator's own package (tests/twin/emulator), on the path through pytest.ini.
from esdb_twin import member, sources
from esdb_twin.election import best_candidate
from esdb_twin.errors import StartupFailure


def offer(name, epoch=1, writer=100, chaser=100, priority=0, state="Follower", read_only=False, resigning=None):
    return {"instanceId": name, "epochNumber": epoch, "writerCheckpoint": writer, "chaserCheckpoint": chaser,
            "nodePriority": priority, "state": state, "isReadOnlyReplica": read_only, "resigningId": resigning}


@pytest.mark.parametrize("offers, winner", [
    ([offer("a", epoch=2), offer("b", writer=900, priority=9)], "a"),
    ([offer("a", writer=101), offer("b", chaser=900, priority=9)], "a"),
    ([offer("a", chaser=101), offer("b", priority=9)], "a"),
    ([offer("a", priority=1), offer("b")], "a"),
    ([offer("a"), offer("b")], "b"),
    ([offer("a", epoch=9, read_only=True), offer("b")], "b"),
    ([offer("a", epoch=9), offer("b", resigning="a")], "b"),
    ([offer("a", epoch=9), offer("b", state="Leader")], "b"),
])
def test_candidate_order_is_22_10s(offers, winner):
    assert best_candidate(offers)["instanceId"] == winner


def test_read_only_replicas_never_stand():
    assert best_candidate([offer("a", read_only=True)]) is None


def test_yaml_rules(tmp_path):
    conf = tmp_path / "eventstore.conf"
    conf.write_text("---\nGossipSeed:\n  - a:1\n  - [b:2, c:3]\nNested:\n  x: 1\nIndex: ~\nLog: 'null'\nDb:\n")
    pairs = dict(sources.load_yaml(str(conf)))
    assert pairs["GossipSeed"] == "a:1,b:2,c:3"
    assert "Nested" not in pairs
    assert pairs["Index"] is None and pairs["Log"] == "null" and pairs["Db"] == ""


def test_missing_config_file_is_not_an_error(tmp_path):
    assert sources.load_yaml(str(tmp_path / "absent.conf")) == []


def test_yaml_root_must_be_a_mapping(tmp_path):
    conf = tmp_path / "eventstore.conf"
    conf.write_text("- a\n- b\n")
    with pytest.raises(StartupFailure) as failure:
        sources.load_yaml(str(conf))
    assert "System.InvalidCastException" in failure.value.detail[0]


@pytest.mark.parametrize("args, expected", [
    (["--int-ip", "1.2.3.4"], {"IntIp": "1.2.3.4"}),
    (["--int-ip=1.2.3.4"], {"IntIp": "1.2.3.4"}),
    (["-int-ip", "1.2.3.4"], {"IntIp": "1.2.3.4"}),
    (["--insecure"], {"Insecure": "true"}),
    (["--insecure-"], {"Insecure": "false"}),
    (["--insecure+", "--what-if"], {"Insecure": "true", "WhatIf": "true"}),
    (["stray", "--mem-db", "--db", "/d"], {"MemDb": "true", "Db": "/d"}),
])
def test_command_line_forms(args, expected):
    assert dict(sources.load_cli(args)) == expected


def test_same_option_twice_on_the_command_line_in_two_spellings_fails():
    with pytest.raises(StartupFailure) as failure:
        sources.load_cli(["--int-ip", "1.1.1.1", "--intip", "2.2.2.2"])
    assert "An item with the same key has already been added" in failure.value.detail[0]


def test_environment_names():
    pairs = dict(sources.load_env({"EVENTSTORE_INT_TCP_PORT": "1", "EVENTSTORE_CLUSTER_SIZE": "3", "PATH": "/"}))
    assert pairs == {"IntTcpPort": "1", "ClusterSize": "3"}


def test_time_stamps_are_written_like_newtonsoft():
    moment = datetime.datetime(2022, 11, 10, 9, 29, 32, 599960, tzinfo=datetime.timezone.utc)
    assert member.timestamp(moment) == "2022-11-10T09:29:32.59996Z"
    assert member.timestamp(moment.replace(microsecond=0)) == "2022-11-10T09:29:32Z"
    assert member.parse_timestamp("2022-11-10T09:29:32.5999600Z") == moment
