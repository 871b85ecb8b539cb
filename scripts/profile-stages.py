#!/usr/bin/env python3
"""Groups a `perf script` of talat serve by the stage of the order path each sample was in.

Reads `perf script -F comm,tid,period,ip,sym` text on stdin. For each sample it walks the
stack from the leaf towards the root and takes the first frame that names a stage (so time in
malloc or memcpy counts for the stage that called it); a sample with no such frame is
classified by its thread (the store's and surveillance's followers have threads of their own),
else "other". Prints each stage's share of the samples and its top frames.

Usage: perf script -i perf.data -F comm,tid,period,ip,sym | scripts/profile-stages.py [TOP]
"""

import re
import sys
from collections import Counter, defaultdict

# Stage patterns, tried on each frame from the leaf up; the first match wins. Order matters:
# the more specific names come first.
STAGES = [
    ("websockets", r"tungstenite|talat_api::routes::ws"),
    ("store follower and SQL", r"talat_store|sqlx|sqlite3|talat_gateway::projection"),
    ("surveillance", r"talat_surveillance|talat_gateway::surveillance"),
    ("read models and publishing", r"talat_gateway::read|talat_sequencer::publish|broadcast"),
    ("engine", r"talat_engine"),
    ("sequencer and fdatasync", r"talat_sequencer|talat_journal|fdatasync|fsync|jbd2|ext4_sync|blkdev|crc32c"),
    ("authentication and signature", r"talat_gateway::auth|hmac|sha2::|Sha256|compress256|subtle"),
    ("parsing and admission", r"talat_api::params|strict_json|talat_gateway::decimal|serde_json::de|talat_gateway::gateway::Gateway::admit|governor|talat_gateway::limits"),
    ("answer encoding", r"serde_json::ser|talat_api::routes::\w+::.*(json|ok_v3|answer)|itoa|ryu"),
    ("HTTP", r"hyper|httparse|talat_api::server|talat_api::listener|axum|tower|http::"),
    ("kernel network", r"tcp_|__sys_(sendto|recvfrom|sendmsg|recvmsg)|sock_|ep_poll|epoll|__netif|ip_(finish|rcv|output)|loopback|skb"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in STAGES]
THREAD_STAGES = [("talat-projection", "store follower and SQL"), ("sqlx-sqlite", "store follower and SQL"), ("talat-surveilla", "surveillance"), ("talat-sequencer", "sequencer and fdatasync")]


def classify(frames, comm):
    for frame in frames:
        for name, pattern in COMPILED:
            if pattern.search(frame):
                return name
    for prefix, name in THREAD_STAGES:
        if comm.startswith(prefix):
            return name
    return "other"


def samples(lines):
    """Yields (comm, period, [frames leaf first]) from perf script's text."""
    header = None
    frames = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if header is not None:
                yield header[0], header[1], frames
            header, frames = None, []
            continue
        if not line.startswith((" ", "\t")):
            if header is not None:
                yield header[0], header[1], frames
            parts = line.split()
            comm = parts[0]
            period = 1
            for p in parts[1:]:
                if p.isdigit():
                    period = int(p)
            header, frames = (comm, period), []
        else:
            # "\t    7f12ab symbol+0x12 (dso)" → the symbol
            text = line.strip().split(None, 1)
            frames.append(text[1] if len(text) > 1 else text[0])
    if header is not None:
        yield header[0], header[1], frames


def main():
    top = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    total = 0
    by_stage = Counter()
    leaves = defaultdict(Counter)
    for comm, period, frames in samples(sys.stdin):
        stage = classify(frames, comm)
        total += period
        by_stage[stage] += period
        leaf = re.sub(r"\+0x[0-9a-f]+$", "", frames[0]) if frames else "?"
        leaves[stage][leaf[:90]] += period
    if total == 0:
        print("no samples")
        return 1
    print(f"{'stage':<30} {'share':>7}   top frames (share of all samples)")
    for stage, n in by_stage.most_common():
        print(f"{stage:<30} {100.0 * n / total:>6.1f} %")
        for leaf, m in leaves[stage].most_common(top):
            print(f"{'':<30} {'':>7}   {100.0 * m / total:5.1f} %  {leaf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
