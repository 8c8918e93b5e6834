"""The EC2 twin's fixes to moto (tests/twin/ec2/moto_fidelity.py), in process against moto's own model."""
import importlib.util
import pathlib

import boto3
import moto
import pytest

FIDELITY = pathlib.Path(__file__).resolve().parents[1] / "ec2" / "moto_fidelity.py"


@pytest.fixture
def ec2(monkeypatch):
    from moto.ec2.models.elastic_block_store import Volume  # pylint: disable=import-outside-toplevel
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface  # pylint: disable=import-outside-toplevel
    from moto.ec2.models.instances import Instance  # pylint: disable=import-outside-toplevel
    monkeypatch.setattr(Instance, "terminate", Instance.terminate)  # undone after the test
    monkeypatch.setattr(NetworkInterface, "__init__", NetworkInterface.__init__)
    monkeypatch.setattr(Instance, "prep_nics", Instance.prep_nics)
    monkeypatch.setattr(Volume, "__init__", Volume.__init__)
    spec = importlib.util.spec_from_file_location("moto_fidelity", FIDELITY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with moto.mock_aws():
        client = boto3.client("ec2", region_name="us-east-1")
        yield client, module


def launch_on(client, interface):
    [instance] = client.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"NetworkInterfaceId": interface, "DeviceIndex": 0}])["Instances"]
    return instance


def test_a_terminated_nodes_own_interface_is_available_again_with_its_address(ec2):
    client, fidelity = ec2
    vpc = client.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
    own = client.create_network_interface(SubnetId=subnet)["NetworkInterface"]
    first = launch_on(client, own["NetworkInterfaceId"])

    def interface():
        return client.describe_network_interfaces(NetworkInterfaceIds=[own["NetworkInterfaceId"]])[
            "NetworkInterfaces"][0]

    # moto alone keeps it in-use on the terminated instance (a second node shows the fix is what changes it)
    second_own = client.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    unpatched = launch_on(client, second_own)
    client.terminate_instances(InstanceIds=[unpatched["InstanceId"]])
    assert client.describe_network_interfaces(NetworkInterfaceIds=[second_own])[
        "NetworkInterfaces"][0]["Status"] == "in-use"

    fidelity.apply()
    client.terminate_instances(InstanceIds=[first["InstanceId"]])
    assert interface()["Status"] == "available"
    again = launch_on(client, own["NetworkInterfaceId"])
    assert again["PrivateIpAddress"] == own["PrivateIpAddress"]
    assert interface()["Attachment"]["InstanceId"] == again["InstanceId"]


def test_interfaces_made_with_the_instance_still_go_with_it(ec2):
    client, fidelity = ec2
    fidelity.apply()
    vpc = client.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
    [instance] = client.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"SubnetId": subnet, "DeviceIndex": 0, "DeleteOnTermination": True}])["Instances"]
    made = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
    client.terminate_instances(InstanceIds=[instance["InstanceId"]])
    left = client.describe_network_interfaces(Filters=[{"Name": "network-interface-id", "Values": [made]}])
    assert left["NetworkInterfaces"] == []


def interface_ids(instance):
    return [nic["NetworkInterfaceId"] for nic in instance["NetworkInterfaces"]]


@pytest.mark.parametrize("spec, left_behind", [
    (None, False),  # the primary interface EC2 makes from SubnetId alone
    ({"DeviceIndex": 0}, False),
    ({"DeviceIndex": 0, "DeleteOnTermination": False}, True),
])
def test_an_interface_the_launch_makes_goes_with_the_instance_unless_asked_to_stay(ec2, spec, left_behind):
    client, fidelity = ec2
    fidelity.apply()
    vpc = client.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
    launch = dict(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
    if spec is None:
        launch["SubnetId"] = subnet
    else:
        launch["NetworkInterfaces"] = [dict(spec, SubnetId=subnet)]
    [instance] = client.run_instances(**launch)["Instances"]
    client.terminate_instances(InstanceIds=[instance["InstanceId"]])
    left = client.describe_network_interfaces(Filters=[
        {"Name": "network-interface-id", "Values": interface_ids(instance)}])["NetworkInterfaces"]
    assert [nic["Status"] for nic in left] == (["available"] if left_behind else [])


def test_a_volume_not_made_from_a_snapshot_says_so_with_an_empty_snapshot_id(ec2):
    client, fidelity = ec2
    before = client.create_volume(AvailabilityZone="us-east-1a", Size=5)["VolumeId"]
    assert "SnapshotId" not in client.describe_volumes(VolumeIds=[before])["Volumes"][0]  # moto alone
    fidelity.apply()
    volume = client.create_volume(AvailabilityZone="us-east-1a", Size=5)["VolumeId"]
    assert client.describe_volumes(VolumeIds=[volume])["Volumes"][0]["SnapshotId"] == ""
    snapshot = client.create_snapshot(VolumeId=volume)["SnapshotId"]
    restored = client.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot)["VolumeId"]
    assert client.describe_volumes(VolumeIds=[restored])["Volumes"][0]["SnapshotId"] == snapshot


def test_new_interfaces_get_free_unreserved_addresses_of_their_subnet(ec2):
    client, fidelity = ec2
    vpc = client.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    # A /28 leaves 11 usable addresses of 16: moto alone soon repeats one or takes a reserved one.
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/28")["Subnet"]["SubnetId"]
    unpatched = [client.create_network_interface(SubnetId=subnet)["NetworkInterface"]["PrivateIpAddress"]
                 for _attempt in range(11)]
    reserved = {"10.9.0.0", "10.9.0.1", "10.9.0.2", "10.9.0.3", "10.9.0.15"}
    assert len(set(unpatched)) < 11 or reserved & set(unpatched), unpatched
    for interface in client.describe_network_interfaces()["NetworkInterfaces"]:
        client.delete_network_interface(NetworkInterfaceId=interface["NetworkInterfaceId"])

    fidelity.apply()
    named = client.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.9.0.4")["NetworkInterface"]
    assert named["PrivateIpAddress"] == "10.9.0.4"
    drawn = [client.create_network_interface(SubnetId=subnet)["NetworkInterface"]["PrivateIpAddress"]
             for _attempt in range(10)]
    assert sorted(drawn + ["10.9.0.4"]) == sorted("10.9.0.%d" % host for host in range(4, 15))
    with pytest.raises(Exception, match="no free address"):
        client.create_network_interface(SubnetId=subnet)


def test_an_explicit_cidr_reservation_keeps_its_addresses_out_of_the_draw(ec2):
    client, fidelity = ec2
    vpc = client.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/28")["Subnet"]["SubnetId"]
    client.create_subnet_cidr_reservation(SubnetId=subnet, Cidr="10.9.0.8/29", ReservationType="explicit")
    fidelity.apply()
    drawn = [client.create_network_interface(SubnetId=subnet)["NetworkInterface"]["PrivateIpAddress"]
             for _attempt in range(4)]
    assert sorted(drawn) == ["10.9.0.4", "10.9.0.5", "10.9.0.6", "10.9.0.7"]
    with pytest.raises(Exception, match="no free address"):
        client.create_network_interface(SubnetId=subnet)
    # Named, a reserved address is still given, as EC2 does for an explicit reservation.
    named = client.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.9.0.9")["NetworkInterface"]
    assert named["PrivateIpAddress"] == "10.9.0.9"
