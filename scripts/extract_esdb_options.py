#!/usr/bin/env python
"""Write the list of EventStoreDB option names that one release's ClusterVNodeOptions defines.

Reads src/EventStore.Core/ClusterVNodeOptions.cs at a tag of a local EventStore clone (git
show; nothing is built or run), takes each option group that ClusterVNodeOptions marks
[OptionGroup], and lists every public instance property of those groups, computed ones
included: the names eventstore.conf accepts (the server's unknown-option check reflects
over the same properties). The tests read the committed output (tests/data/); they never run this.

  scripts/extract_esdb_options.py /path/to/EventStore.git oss-v22.10.0 > tests/data/eventstoredb-22.10-options.txt
"""
import re
import subprocess
import sys

SOURCE = "src/EventStore.Core/ClusterVNodeOptions.cs"
GROUP = re.compile(r"\[OptionGroup\]\s*public\s+(\w+)\s+\w+\s*\{\s*get;\s*init;\s*\}")
RECORD = re.compile(r"public\s+(?:partial\s+)?record\s+(\w+)\s*\{")
# Public instance properties: auto ({ get; init; }), computed (=>) or with their own accessors.
PROPERTY = re.compile(r"public\s+(?!static\b)[\w.<>\[\]?, ]+?\s+(\w+)\s*(?:\{\s*get;\s*init;\s*\}|\{\}|=>)")


def block(text, start):
    """The text between the brace at start and its match (C# braces in strings are rare here)."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:index]
    raise ValueError("unbalanced braces after offset %d" % start)


def top_level(body):
    """body with every nested {...} block emptied to {}, so only its own members remain."""
    out, depth = [], 0
    for char in body:
        if char == "{":
            depth += 1
        if depth == 0 or (depth == 1 and char in "{}"):
            out.append(char)
        if char == "}":
            depth -= 1
    return "".join(out)


def options(text):
    records = {m.group(1): block(text, m.end() - 1) for m in RECORD.finditer(text)}
    main = records["ClusterVNodeOptions"]
    groups = GROUP.findall(main)
    names = []
    for group in groups:
        if group not in records:
            raise SystemExit("option group %s is not defined in %s" % (group, SOURCE))
        names += PROPERTY.findall(top_level(records[group]))
    return groups, names


def main(repo, tag):
    commit = subprocess.run(["git", "-C", repo, "rev-parse", tag + "^{commit}"], check=True,
                            capture_output=True, text=True).stdout.strip()
    text = subprocess.run(["git", "-C", repo, "show", "%s:%s" % (commit, SOURCE)], check=True,
                          capture_output=True, text=True).stdout
    groups, names = options(text)
    print("# EventStoreDB options: every public instance property of the option groups")
    print("# that ClusterVNodeOptions marks [OptionGroup] (%s)," % ", ".join(groups))
    print("# read from %s at tag %s (commit %s)" % (SOURCE, tag, commit))
    print("# by scripts/extract_esdb_options.py. One name a line, sorted.")
    for name in sorted(set(names), key=str.lower):
        print(name)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
