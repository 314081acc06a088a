#!/usr/bin/env python3
"""Removes stale build outputs of this workspace's own crates from the shared target dir.

The target dir is shared by every clone on the machine (CI reuses it so its runs are
incremental). Each change of a workspace crate's features or dependencies gives its outputs
new names and leaves the old set behind (the test binaries alone are ~400 MB each); nothing
ever removes them. This removes the outputs of the workspace's targets that
no build has written for `--days` days. Dependencies (registry crates) are left alone: their
outputs are shared by every clone.

    scripts/prune_target.py [--days N] [--dry-run]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

OUTPUT_DIRS = ("deps", "build", ".fingerprint", "incremental", "examples")
# `<target name>-<hash>` followed by an extension, a suffix or nothing: 16 hex digits
# in deps/build/.fingerprint, 13 base-36 digits in incremental/.
OUTPUT_NAME = re.compile(r"^(?:lib)?(?P<target>[A-Za-z0-9_]+)-(?:[0-9a-f]{16}|[0-9a-z]{13})(?:[.-].*)?$")


def workspace_targets():
    metadata = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1"],
        check=True, capture_output=True, text=True,
    )
    packages = json.loads(metadata.stdout)["packages"]
    names = {target["name"].replace("-", "_") for package in packages for target in package["targets"]}
    names.discard("build_script_build")  # every crate's build script has this name
    return names


def newest_mtime(path):
    if not os.path.isdir(path) or os.path.islink(path):
        return os.lstat(path).st_mtime
    newest = os.lstat(path).st_mtime
    for root, _, files in os.walk(path):
        for name in files:
            newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
    return newest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=2.0)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()

    target_dir = os.environ.get("CARGO_TARGET_DIR") or "target"
    profile_dir = os.path.join(target_dir, "debug")
    if not os.path.isdir(profile_dir):
        return 0
    targets = workspace_targets()
    cutoff = time.time() - args.days * 86400
    removed, freed = 0, 0
    for subdir in OUTPUT_DIRS:
        directory = os.path.join(profile_dir, subdir)
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            match = OUTPUT_NAME.match(name)
            if not match or match.group("target") not in targets:
                continue
            path = os.path.join(directory, name)
            if newest_mtime(path) >= cutoff:
                continue
            size = sum(
                os.lstat(os.path.join(root, f)).st_size for root, _, files in os.walk(path) for f in files
            ) if os.path.isdir(path) else os.lstat(path).st_size
            removed, freed = removed + 1, freed + size
            if not args.dry_run:
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    verb = "would remove" if args.dry_run else "removed"
    print(f"prune_target: {verb} {removed} stale outputs of workspace crates ({freed / 1e9:.1f} GB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
