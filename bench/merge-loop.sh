#!/usr/bin/env bash
# The floor gt's merge queue is measured against (bench/merge-queue.ts): the same merges the
# refinery makes, one branch at a time, by a plain loop of the same git and test commands in the
# same order, and nothing else (no queue, no records, no issue tracker).
# Usage: merge-loop.sh CLONE TARGET TEST_COMMAND... -- BRANCH HEAD MESSAGE [BRANCH HEAD MESSAGE]...
set -euo pipefail
clone=$1
target=$2
shift 2
test_cmd=()
while [[ $1 != -- ]]; do
  test_cmd+=("$1")
  shift
done
shift
cd "$clone"
identity=(-c 'user.name=gt refinery' -c 'user.email=refinery@gastown.local')
while (($#)); do
  branch=$1 head=$2 message=$3
  shift 3
  git fetch -q --prune origin
  git checkout -q -f -B "$target" "origin/$target"
  git clean -q -fd
  git cat-file -e "$head^{commit}"
  git "${identity[@]}" merge -q --no-ff -m "$message" "$head"
  "${test_cmd[@]}" >/dev/null
  git push -q --porcelain "--force-with-lease=refs/heads/$branch:$head" origin "HEAD:refs/heads/$target" ":refs/heads/$branch" >/dev/null
  git reset -q --hard
  git clean -q -fd
done
