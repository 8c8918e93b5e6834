#!/usr/bin/env python
"""Benchmark esdb.cluster.cluster_status: how long one check of a cluster takes.

Clusters are the project's test-only node emulator on loopback (127.0.20.x), never the product.
Scenarios:
  * healthy 3-node cluster (TLS): about one round trip, the nodes are asked in parallel;
  * 7-node cluster with one dead node (a listener that accepts and never answers): about one timeout;
  * 7 dead nodes: still about one timeout, not seven.
Each figure is the median of --runs checks, measured two ways: the check as the module runs it
(fetch + verdict, in process) and the whole `ansible localhost -m esdb.cluster.cluster_status` command.

Usage: PYTHONPATH=.collections .venv/bin/python scripts/bench/bench_cluster_status.py [--runs 15] [--timeout 2]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

try:
    from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import evaluate
    from ansible_collections.esdb.cluster.plugins.module_utils.gossip_client import fetch_all
    from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import open_url_options, parse_node_addresses
    from ansible_collections.esdb.cluster.tests.lib.cs_cluster import EmulatorCluster, ModuleRun, SilentListener, make_pki, wait_until
except ImportError as exc:  # run without the collection on the module path
    sys.exit('%s: run from the checkout with PYTHONPATH=.collections (`make bootstrap` creates .collections)' % exc)

HOSTS = ['127.0.20.%d' % i for i in range(1, 8)]
LOAD_AT_START = os.getloadavg()[0]


def check_once(nodes, params, expected_size):
    """One check exactly as the module makes it; returns (seconds, status)."""
    endpoints = parse_node_addresses(nodes, 'https')
    started = time.perf_counter()
    verdict = evaluate(fetch_all(endpoints, open_url_options(params)), expected_size, 'quorum')
    return time.perf_counter() - started, verdict['status']


def measure(label, nodes, params, expected_size, runs, module_args):
    checks = [check_once(nodes, params, expected_size) for run in range(runs)]
    statuses = set(status for seconds, status in checks)
    commands = []
    for run in range(max(3, runs // 3)):
        command = ModuleRun(dict(module_args, nodes=nodes, validate='none'))
        statuses.add('module:%s' % command.result().get('status'))
        commands.append(command.finished - command.started)
    row = dict(label=label, nodes=len(nodes), check=statistics.median(seconds for seconds, status in checks),
               check_max=max(seconds for seconds, status in checks), command=statistics.median(commands),
               statuses=sorted(statuses))
    print('%-40s check median %.3f s (max %.3f), ansible command median %.2f s, %s'
          % (label, row['check'], row['check_max'], row['command'], ', '.join(row['statuses'])), flush=True)
    return row


def ready_cluster(cluster, expected):
    def ready():
        views = [cluster.gossip(h) for h in cluster.hosts if h in cluster.processes]
        return all(v and sum(1 for m in v['members'] if m['isAlive'] and m['state'] in ('Leader', 'Follower'))
                   >= expected for v in views)
    cluster.start_all()
    if not wait_until(ready, timeout=60):
        raise SystemExit('emulator cluster %s did not become ready within 60 s' % cluster.hosts)


def markdown(rows, runs, timeout):
    lines = [
        '## esdb.cluster.cluster_status',
        '',
        'One readiness check: GET /gossip from every node in parallel, then the verdict. Measured with',
        '`scripts/bench/bench_cluster_status.py --runs %d --timeout %g` against the test-only node emulator'
        % (runs, timeout),
        'on loopback (127.0.20.x, TLS). "Check" is the fetch and verdict as the module runs them; "command" is',
        'the whole `ansible localhost -m esdb.cluster.cluster_status` run, including Ansible start-up.',
        'Machine: %d CPU cores, load average %.1f when the run started.' % (os.cpu_count(), LOAD_AT_START),
        '',
        '| Scenario | Nodes | Check, median | Check, max | Command, median |',
        '|---|---|---|---|---|',
    ]
    for row in rows:
        lines.append('| %s | %d | %.3f s | %.3f s | %.2f s |'
                     % (row['label'], row['nodes'], row['check'], row['check_max'], row['command']))
    lines += ['', 'A dead node costs one `timeout` (%g s here), however many nodes are dead, because the '
              'nodes are asked concurrently; one by one, seven dead nodes would cost %g s.' % (timeout, 7 * timeout)]
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--timeout', type=float, default=2.0)
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix='bench-cluster-status-') as work:
        pki = make_pki(Path(work) / 'pki', HOSTS)
        params = dict(timeout=options.timeout, validate_certs=True, ca_path=pki['ca'], client_cert=None,
                      client_key=None, url_username=None, url_password=None)
        module_args = dict(timeout=options.timeout, ca_path=pki['ca'])

        trio = EmulatorCluster(Path(work) / 'trio', HOSTS[:3], pki)
        try:
            ready_cluster(trio, 3)
            rows.append(measure('healthy 3-node cluster', trio.nodes(), params, 3, options.runs, module_args))
        finally:
            trio.stop_all()

        seven = EmulatorCluster(Path(work) / 'seven', HOSTS, pki)
        silent = SilentListener(HOSTS[6])
        try:
            for host in HOSTS[:6]:
                seven.start(host)
            if not wait_until(lambda: seven.leader_of(HOSTS[0]), timeout=60):
                raise SystemExit('the 7-node emulator cluster elected no leader within 60 s')
            rows.append(measure('7-node cluster, one dead node', seven.nodes(), params, 7, options.runs,
                                module_args))
        finally:
            seven.stop_all()
            silent.close()

        listeners = [SilentListener(host) for host in HOSTS]
        try:
            rows.append(measure('7 dead nodes', [listener.address for listener in listeners], params, 7,
                                max(3, options.runs // 3), module_args))
        finally:
            for listener in listeners:
                listener.close()
    print()
    print(markdown(rows, options.runs, options.timeout))


if __name__ == '__main__':
    main()
