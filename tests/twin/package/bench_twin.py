#!/usr/bin/env python
"""Measure the twin's build times: packages + signed repository cold and warm, and the image fast path.

Usage: tests/twin/package/bench_twin.py [--runs N]
Cold builds use fresh temporary build directories, so nothing already built is touched.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TWINCTL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "twinctl")


def timed(*args):
    started = time.monotonic()
    subprocess.run([sys.executable, TWINCTL, *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def summary(name, samples):
    print(f"{name:<40} median {statistics.median(samples):6.2f}s  max {max(samples):6.2f}s  (n={len(samples)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cold, warm = [], []
    for _unused in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="twin-bench-") as build_dir:
            cold.append(timed("--build-dir", build_dir, "build"))
            warm.append(timed("--build-dir", build_dir, "build"))
    summary("build from scratch (2 debs + key + repo)", cold)
    summary("build, nothing changed", warm)
    try:
        summary("image, already present", [timed("image") for _unused in range(args.runs)])
    except subprocess.CalledProcessError:
        print("image: skipped (no Docker engine, or the image could not be built)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
