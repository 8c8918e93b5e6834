# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What differs between a node and what this run wants of it.

A node with no drift skips the install, TLS, configure and service phases: a rerun then
costs a few read-only probes. Anything the probes cannot tell counts as drift.
"""

from __future__ import annotations

import hashlib
import os


def node_drift(wanted_files, present_files, wanted_package, package_status, unit_status,
               private_key=None, service_user='eventstore'):
    """Sentences naming each difference; an empty list means the node already matches.

    wanted_files: {path: sha1, or None when the controller-side source does not exist yet};
    present_files: the `files` of ansible.builtin.find with checksums; wanted_package and
    package_status: 'VERSION SELECTION STATUS' as dpkg-query prints them; unit_status: the
    `status` of ansible.builtin.systemd_service; private_key: the node key path (TLS only).
    """
    present = {f.get('path'): f for f in present_files or []}
    drift = []
    for path, want in (wanted_files or {}).items():
        have = present.get(path, {}).get('checksum')
        if want is None or have != want:
            drift.append('%s %s' % (path, 'differs' if have else 'is missing'))
    if private_key:
        key = present.get(private_key, {})
        if key.get('mode') != '0600' or key.get('pw_name') != service_user:
            drift.append('%s is not mode 0600 owned by %s' % (private_key, service_user))
    if (package_status or '').strip() != wanted_package:
        drift.append('package is %r, wanted %r' % ((package_status or '').strip() or 'not installed', wanted_package))
    unit = unit_status or {}
    for key, want in (('ActiveState', 'active'), ('UnitFileState', 'enabled'), ('NeedDaemonReload', 'no')):
        if unit.get(key) != want:
            drift.append('service %s is %r, wanted %r' % (key, unit.get(key), want))
    return drift


def file_sha1(path):
    """SHA-1 of a controller file, as ansible.builtin.find reports it on a node; None when missing."""
    if not path or not os.path.isfile(path):
        return None
    digest = hashlib.sha1()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(65536), b''):
            digest.update(block)
    return digest.hexdigest()
