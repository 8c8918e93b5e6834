"""Where the EC2 twin keeps its state: a JSON file plus the generated inventory vars."""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))))
STATE_DIR = os.path.join(ROOT, ".cache", "twin")


class Paths:  # pylint: disable=too-few-public-methods
    state = os.path.join(STATE_DIR, "ec2twin.json")
    moto_log = os.path.join(STATE_DIR, "moto.log")
    sync_log = os.path.join(STATE_DIR, "sync.log")
    inventory_vars = os.path.join(ROOT, "inventories", "local", "group_vars", "all", "twin_subnet.yml")


def read_state():
    try:
        with open(Paths.state, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def write_state(state):
    os.makedirs(STATE_DIR, exist_ok=True)
    tmp = Paths.state + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(state, f, indent=2)
    os.replace(tmp, Paths.state)
