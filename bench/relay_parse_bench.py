"""The ZMTP relay's parser (runner/zmtp_guard.py) on a kernel's flood of the tiniest frames.

Feeds 256 KiB chunks of one frame pattern to `MessageSizeCounter.feed`, best of five, with the whole-frame
loop and, as the baseline in the same run, header by header (the loop switched off). The relay holds the
host's event loop for as long as one feed takes.

    .venv/bin/python bench/relay_parse_bench.py [--json]
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runner.zmtp_guard import CHUNK_BYTES, MessageSizeCounter

GREETING = b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\x00") + b"\x00" * 32
PATTERNS = {
    "empty_messages": b"\x00\x00",
    "empty_parts": b"\x01\x00",
    "one_byte_messages": b"\x00\x01x",
    "sixteen_byte_messages": b"\x00\x10" + b"y" * 16,
}


class HeaderByHeader(MessageSizeCounter):
    def _read_whole_frames(self, data, position):
        return position


def best_ms(counter_class, frame: bytes, size: int) -> float:
    chunk = frame * (size // len(frame))
    counter = counter_class(1 << 62)
    counter.feed(GREETING)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        counter.feed(chunk)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    figures = {}
    for name, frame in PATTERNS.items():
        fast, slow = best_ms(MessageSizeCounter, frame, 256 << 10), best_ms(HeaderByHeader, frame, 256 << 10)
        per_read = best_ms(MessageSizeCounter, frame, CHUNK_BYTES)
        figures[f"relay_{name}_ms_per_256k"] = round(fast, 1)
        figures[f"relay_{name}_baseline_ms_per_256k"] = round(slow, 1)
        figures[f"relay_{name}_ratio"] = round(fast / slow, 3)
        figures[f"relay_{name}_ms_per_read"] = round(per_read, 1)
        print(f"{name:>24}: {fast:6.1f} ms per 256 KiB (header by header {slow:6.1f} ms, ratio {fast / slow:.2f}); "
              f"{per_read:5.1f} ms per {CHUNK_BYTES >> 10} KiB read")  # fmt: skip
    if arguments.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
