#!/bin/sh
# Runs a command with one folder on a small disk of its own, for tests of a full disk: a tmpfs of
# SIZE bytes mounted over DIR, holding a copy of DIR's files. Run it under `unshare -m`, so that the
# mount exists in a private mount namespace only and ends with it (nothing to unmount, whatever
# happens to the test). When the command ends, what it left on the small disk replaces DIR's files
# on the real one, so a test can start again from exactly what the full disk let it write (also
# after a SIGTERM to the process group, which the command handles; not after a SIGKILL). Exits
# with the command's status. The copy lives in DIR.small-disk while the command runs.
#
# usage: unshare -m sh small-disk.sh SIZE DIR COMMAND [ARGUMENT...]
set -eu
size=$1
dir=$2
shift 2
copy="$dir.small-disk"
rm -rf "$copy"
mkdir "$copy"
cp -a "$dir/." "$copy/"
mount -t tmpfs -o "size=$size,mode=0700" tmpfs "$dir"
cp -a "$copy/." "$dir/"
set +e
# A clean stop signals the whole process group: the command stops on its own terms, and this
# script, which only waits for it, must still copy the small disk back after it.
trap ':' TERM INT
"$@"
status=$?
set -e
rm -rf "$copy"
mkdir "$copy"
cp -a "$dir/." "$copy/"
umount "$dir"
find "$dir" -mindepth 1 -delete
cp -a "$copy/." "$dir/"
rm -rf "$copy"
exit "$status"
