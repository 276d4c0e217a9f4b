#!/bin/sh
# The lab's fencing device, as a director's fence_command sees it: ask the
# lab's fence agent (the test harness, outside the hosts) to cut the target
# off the network, like a PDU or an iLO would, and wait for its answer.
#   fence_command "/path/to/scripts/lab/fence.sh /lab/dir/fence"   (the target IP is appended)
set -eu
dir=$1
target=$2
mkdir -p "$dir"
rm -f "$dir/done-$target"
echo "$target" > "$dir/request-$target"
i=0
while [ $i -lt 100 ]; do
  if [ -f "$dir/done-$target" ]; then
    [ "$(cat "$dir/done-$target")" = ok ] && exit 0
    exit 1
  fi
  sleep 0.05
  i=$((i + 1))
done
echo "fence: no answer from the lab's fence agent" >&2
exit 1
