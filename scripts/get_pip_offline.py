"""Stand-in for get-pip.py that installs pip from a wheel on disk.

ansible-test runs get-pip.py to seed each sanity virtual environment. This file
is copied to ~/.ansible/test/cache/ by scripts/bootstrap.sh with @PIP_WHEEL@
replaced by the path of the pip wheel it downloaded from PyPI.
"""
import re
import sys

WHEEL = "@PIP_WHEEL@"

sys.path.insert(0, WHEEL)
from pip._internal.cli.main import main  # noqa: E402  pylint: disable=wrong-import-position

# get-pip.py's own flags have no pip-install equivalent; the wheel replaces "pip==X".
OWN_FLAGS = ("--no-setuptools", "--no-wheel")
args = [WHEEL if re.match(r"^pip==", a) else a for a in sys.argv[1:] if a not in OWN_FLAGS]
sys.exit(main(["install", "--no-warn-script-location"] + args))
