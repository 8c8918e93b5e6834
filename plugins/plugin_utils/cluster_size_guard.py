# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a run would shrink ClusterSize by accident.

The layout counts the voters the inventory lists. A stopped EC2 instance is missing from the
inventory, so a run while one is down would derive a smaller ClusterSize and write it into every
running node's eventstore.conf, lowering the quorum of a cluster whose members still exist.
A resize lists its leaving hosts in the leaving group; only then, or when the user says so, may
the size go down. Growing is how a resize adds nodes, and a node without a config is new.
"""

from __future__ import annotations

import base64
import binascii
import re

# eventstore.conf is YAML; 22.10 reads option names in any letter case.
_CLUSTER_SIZE = re.compile(r'^\s*ClusterSize\s*:\s*["\']?([0-9]+)["\']?\s*(#.*)?$', re.IGNORECASE | re.MULTILINE)


def configured_cluster_size(conf):
    """The ClusterSize in an eventstore.conf: the text itself, or a slurp result (base64 `content`).

    None when there is no file (a slurp that failed or was skipped) or no ClusterSize line.
    """
    if isinstance(conf, dict):
        if conf.get('failed') or conf.get('skipped') or 'content' not in conf:
            return None
        try:
            conf = base64.b64decode(conf['content']).decode('utf-8', 'replace')
        except (binascii.Error, TypeError, ValueError):
            return None
    if not isinstance(conf, str):
        return None
    found = _CLUSTER_SIZE.findall(conf)
    return int(found[-1][0]) if found else None


def cluster_size_shrink_problems(live_configs, cluster_size, leaving=(), allow_change=False, group='eventstore'):
    """One sentence when `cluster_size` is smaller than a member's live ClusterSize, else none.

    `live_configs` maps each reachable member to its eventstore.conf (text or slurp result).
    `leaving` are the hosts a resize moves out (the leaving group): with any, shrinking is the plan.
    """
    if allow_change or leaving:
        return []
    larger = {}
    for host in sorted(live_configs):
        live = configured_cluster_size(live_configs[host])
        if live is not None and live > cluster_size:
            larger.setdefault(live, []).append(host)
    if not larger:
        return []
    runs = '; '.join('%s %s with ClusterSize %d' % (', '.join(hosts), 'runs' if len(hosts) == 1 else 'run', size)
                     for size, hosts in sorted(larger.items(), reverse=True))
    return ['ClusterSize would shrink from %d to %d: %s, but the inventory group %r lists %d %s. A stopped '
            'node is missing from the EC2 inventory: start it and run again. To shrink the cluster, move the '
            'leaving hosts to the leaving group (playbooks/resize.yml), or set '
            'eventstore_allow_cluster_size_change: true.'
            % (max(larger), cluster_size, runs, group, cluster_size, 'voter' if cluster_size == 1 else 'voters')]
