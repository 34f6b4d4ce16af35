#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The send rates of `xdpml gen`, side by side in one run: the old single-frame way (one frame
# repeated by BPF_PROG_TEST_RUN live frames), and a scenario by its two ways (testrun: one test run
# per frame; xsk: AF_XDP TX in copy mode). A veth pair in a namespace of its own, XDP_DROP
# attached natively to the receiving end (live frames reach a veth peer only with a program
# there); the receiver's packet count is printed beside each run. Removes the namespace on exit.
#
#   bench/gen-rates.sh [SCENARIO [FRAMES_XSK [FRAMES_TESTRUN]]]     (as root; default mix 2000000 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-mix}
xsk_frames=${2:-2000000}
testrun_frames=${3:-200000}
ns=xdpml-genrates-$$
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip -n "$ns" link add gr0 type veth peer name gr1
# no IPv6 on the pair: its own router solicitations would add to the receiver's count
ip netns exec "$ns" sysctl -q -w net.ipv6.conf.gr0.disable_ipv6=1 net.ipv6.conf.gr1.disable_ipv6=1
ip -n "$ns" link set gr0 up
ip -n "$ns" link set gr1 up
./xdpml --version >/dev/null # builds the jar when needed
ip -n "$ns" link set dev gr1 xdpdrv obj target/classes/bpf/xdp_drop.bpf.o sec xdp
received() { ip -n "$ns" -s -j link show gr1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
run() {
  local before after
  before=$(received)
  ip netns exec "$ns" ./xdpml gen --iface gr0 "$@"
  sleep 0.2
  after=$(received)
  echo "  receiver counted $((after - before))"
}
run --frame udp4 --count 10000000
run --scenario "$scenario" --way testrun --count "$testrun_frames"
run --scenario "$scenario" --way xsk --count "$xsk_frames"
