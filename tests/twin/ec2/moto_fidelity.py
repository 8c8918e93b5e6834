"""Where moto's EC2 differs from EC2 in a way the collection can observe, the twin behaves as EC2 does.

- Terminating an instance: EC2 detaches every network interface that was attached with
  DeleteOnTermination false, and it becomes available for another instance (Amazon EC2 User Guide,
  "Elastic network interfaces": an interface attached at launch as an existing one keeps
  DeleteOnTermination false). moto deletes the others but leaves these in-use on the terminated
  instance, so a node could never be launched again on its own interface and address.

Run as a script, it is moto_server with these fixes: python moto_fidelity.py -H 127.0.0.1 -p PORT
"""
import sys


def apply():
    """Patch moto's EC2 model in this process (once)."""
    from moto.ec2.models.instances import Instance  # pylint: disable=import-outside-toplevel

    if getattr(Instance.terminate, "esdb_twin", False):
        return
    moto_terminate = Instance.terminate

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
    Instance.terminate = terminate


if __name__ == "__main__":
    apply()
    from moto.server import main  # pylint: disable=import-outside-toplevel
    main(sys.argv[1:])
