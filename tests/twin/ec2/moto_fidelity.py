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
- Describing volumes: EC2 answers SnapshotId "" for a volume not made from a snapshot (AWS CLI
  reference, describe-volumes, example 1); moto leaves the field out, which amazon.aws.ec2_vol_info
  does not survive.

Run as a script, it is moto_server with these fixes: python moto_fidelity.py -H 127.0.0.1 -p PORT
"""
import sys


def apply():
    """Patch moto's EC2 model in this process (once)."""
    from moto.ec2.models.elastic_block_store import Volume  # pylint: disable=import-outside-toplevel
    from moto.ec2.models.instances import Instance  # pylint: disable=import-outside-toplevel

    if getattr(Instance.terminate, "esdb_twin", False):
        return
    moto_volume_init = Volume.__init__

    def volume_init(self, *args, **kwargs):
        moto_volume_init(self, *args, **kwargs)
        if self.snapshot_id is None:
            self.snapshot_id = ""

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


if __name__ == "__main__":
    apply()
    from moto.server import main  # pylint: disable=import-outside-toplevel
    main(sys.argv[1:])
