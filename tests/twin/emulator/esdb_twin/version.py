"""Version of EventStoreDB that this test double imitates.

The packaging scripts rewrite VERSION (one line, `VERSION = "x.y.z"`) to build other package versions.
"""

VERSION = "22.10.0"

FOUR_PART = VERSION + ".0"
TAG = "oss-v" + VERSION
TEXT = (
    "EventStoreDB version %s (%s/esdb.cluster-twin, Unknown)"
    " - esdb.cluster test emulator, not EventStoreDB" % (FOUR_PART, TAG)
)
