"""Where moto's EC2 differs from EC2 in a way the collection can observe, the twin behaves as EC2 does.

- Terminating an instance: EC2 detaches every network interface that was attached with
  DeleteOnTermination false, and it becomes available for another instance (Amazon EC2 User Guide,
  "Elastic network interfaces": an interface attached at launch as an existing one keeps
  DeleteOnTermination false). moto deletes the others but leaves these in-use on the terminated
  instance, so a node could never be launched again on its own interface and address.
- Launching: an interface that RunInstances creates itself is deleted with the instance unless the
  request says DeleteOnTermination false (the console and API default for the primary interface is
  true; EC2 API reference, InstanceNetworkInterfaceSpecification). moto defaults it to false, which
  with the fix above would leave such interfaces behind after a teardown.
- Addresses: EC2 gives a new interface a free address of its subnet, never one of the first four or
  the last (Amazon VPC User Guide, "Subnet CIDR blocks": they are reserved), nor one in an explicit
  subnet CIDR reservation ("Subnet CIDR reservations"). moto draws one at random from the whole block,
  so two interfaces could share an address, or take the router's, the broadcast address, or one the
  twin keeps for its own hosts.
- Describing volumes: EC2 answers SnapshotId "" for a volume not made from a snapshot (AWS CLI
  reference, describe-volumes, example 1); moto leaves the field out, which amazon.aws.ec2_vol_info
  does not survive.

Run as a script, it is moto_server with these fixes: python moto_fidelity.py -H 127.0.0.1 -p PORT
"""
import ipaddress
import random
import sys


def apply():
    """Patch moto's EC2 model in this process (once)."""
    from moto.ec2.models.elastic_block_store import Volume  # pylint: disable=import-outside-toplevel
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface  # pylint: disable=import-outside-toplevel
    from moto.ec2.models.instances import Instance  # pylint: disable=import-outside-toplevel

    if getattr(Instance.terminate, "esdb_twin", False):
        return
    moto_volume_init = Volume.__init__

    def volume_init(self, *args, **kwargs):
        moto_volume_init(self, *args, **kwargs)
        if self.snapshot_id is None:
            self.snapshot_id = ""

    moto_eni_init = NetworkInterface.__init__

    def eni_init(self, ec2_backend, subnet, private_ip_address, private_ip_addresses=None, *args, **kwargs):
        moto_eni_init(self, ec2_backend, subnet, private_ip_address, private_ip_addresses, *args, **kwargs)
        if private_ip_address or private_ip_addresses or subnet is None:
            return  # the request named its address
        kept = [r.cidr for r in getattr(subnet, "_cidr_reservations", []) if r.reservation_type == "explicit"]
        address = free_address(subnet.cidr_block, {eni.private_ip_address for eni in ec2_backend.enis.values()}, kept)
        self.private_ip_address = address
        self.private_ip_addresses[0]["PrivateIpAddress"] = address

    moto_terminate, moto_prep_nics = Instance.terminate, Instance.prep_nics

    def prep_nics(self, nic_spec, *args, **kwargs):
        given = set(nic.get("NetworkInterfaceId") for nic in nic_spec)
        kept = set(int(nic.get("DeviceIndex", 0)) for nic in nic_spec
                   if str(nic.get("DeleteOnTermination")).lower() == "false")
        result = moto_prep_nics(self, nic_spec, *args, **kwargs)
        for index, nic in self.nics.items():
            if nic.id not in given and int(index) not in kept:
                nic.delete_on_termination = True
        return result

    def terminate(self):
        kept = [nic for nic in self.nics.values() if not nic.delete_on_termination]
        state = moto_terminate(self)
        for nic in kept:
            # Released as moto's own detach does, but left in the terminated instance's record, which
            # moto still describes by its first interface.
            nic.instance = None
            nic.attachment_id = None
            nic.attach_time = None
            nic.status = "available"
        return state

    terminate.esdb_twin = True
    Instance.terminate, Instance.prep_nics = terminate, prep_nics
    Volume.__init__ = volume_init
    NetworkInterface.__init__ = eni_init


def free_address(cidr, taken, kept=()):
    """A random address of `cidr` that is not taken, not reserved (the first four and the last) and in none
    of the `kept` networks."""
    network = ipaddress.ip_network(cidr)
    usable = [str(address) for address in list(network)[4:-1]
              if str(address) not in taken and not any(address in block for block in kept)]
    if not usable:
        raise ValueError("no free address left in %s" % cidr)
    return random.choice(usable)


if __name__ == "__main__":
    apply()
    from moto.server import main  # pylint: disable=import-outside-toplevel
    main(sys.argv[1:])
