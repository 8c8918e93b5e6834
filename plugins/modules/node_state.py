#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: node_state
short_description: Read a node's service state, package status and managed files in one call
version_added: 0.2.0
description:
  - Reads, on the node and in one module call, what the role compares with what a run wants.
  - That is the systemd unit's state, the package's version, selection and status as C(dpkg-query)
    prints them, and the SHA-1, mode and owner of every file under the given directories.
  - Changes nothing.
author:
  - esdb.cluster maintainers (@esdb)
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode runs the same reads.
  diff_mode:
    support: none
    description: The module changes nothing, so there is nothing to diff.
options:
  service:
    description: The systemd unit, without C(.service).
    type: str
    required: true
  package:
    description: The Debian package name.
    type: str
    required: true
  paths:
    description:
      - Directories whose files (recursively) are read. A missing directory contributes no file.
    type: list
    elements: path
    default: []
notes:
  - Needs C(systemctl) and C(dpkg-query) on the node; where either is missing, its result is empty.
'''

EXAMPLES = r'''
- name: The service, package and managed files on the node are read
  esdb.cluster.node_state:
    service: eventstore
    package: eventstore-oss
    paths: [/etc/eventstore, /etc/systemd/system/eventstore.service.d]
  register: node
'''

RETURN = r'''
unit:
  description:
    - The unit's C(ActiveState), C(UnitFileState), C(NeedDaemonReload) and C(LoadState) as
      C(systemctl show) prints them; empty when systemctl could not tell.
  returned: always
  type: dict
  sample: {ActiveState: active, UnitFileState: enabled, NeedDaemonReload: "no", LoadState: loaded}
package:
  description:
    - C(VERSION SELECTION STATUS) as C(dpkg-query) prints them, for example C(22.10.0 hold installed);
      empty when the package is unknown to dpkg.
  returned: always
  type: str
  sample: 22.10.0 hold installed
files:
  description: Every regular file under O(paths), each once.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Absolute path.
      type: str
    checksum:
      description: SHA-1 of the content, in hex.
      type: str
    mode:
      description: Permission bits, four octal digits.
      type: str
    pw_name:
      description: Owner's user name, or the numeric id when it has no name.
      type: str
  sample: [{path: /etc/eventstore/eventstore.conf, checksum: 2aae6c35c94fcfb415dbe95f408b9ce91ee846ed,
            mode: "0644", pw_name: root}]
'''

import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule

UNIT_PROPERTIES = ('ActiveState', 'UnitFileState', 'NeedDaemonReload', 'LoadState')


def unit_state(module, service):
    """{property: value} of the unit, or {} when systemctl cannot tell."""
    systemctl = module.get_bin_path('systemctl')
    if not systemctl:
        return {}
    rc, out, _err = module.run_command([systemctl, 'show', '--property', ','.join(UNIT_PROPERTIES),
                                        service + '.service'])
    if rc != 0:
        return {}
    return dict(line.split('=', 1) for line in out.splitlines() if '=' in line)


def package_state(module, package):
    """'VERSION SELECTION STATUS' of the package, or '' when dpkg does not know it."""
    dpkg_query = module.get_bin_path('dpkg-query')
    if not dpkg_query:
        return ''
    rc, out, _err = module.run_command([dpkg_query, '--show', '--showformat',
                                        '${Version} ${db:Status-Want} ${db:Status-Status}', package])
    return out.strip() if rc == 0 else ''


def owner_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def managed_files(module, paths):
    """Every regular file under `paths`, each once, in path order."""
    found = {}
    for top in paths:
        for folder, _dirs, names in os.walk(top):
            for name in names:
                path = os.path.join(folder, name)
                info = os.lstat(path)
                if stat.S_ISREG(info.st_mode) and path not in found:
                    found[path] = dict(path=path, checksum=module.sha1(path), mode='%04o' % stat.S_IMODE(info.st_mode),
                                       pw_name=owner_name(info.st_uid))
    return [found[path] for path in sorted(found)]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            service=dict(type='str', required=True),
            package=dict(type='str', required=True),
            paths=dict(type='list', elements='path', default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    module.exit_json(changed=False, unit=unit_state(module, params['service']),
                     package=package_state(module, params['package']),
                     files=managed_files(module, params['paths']))


if __name__ == '__main__':
    main()
