#!/usr/bin/env python3
"""Read `cargo build --message-format=json` on stdin; print `<crate> <OUT_DIR>` per build script run.

This is how scripts/bench learns which build of whisper-rs-sys / llama-cpp-sys-2 is linked into the
worker binaries it measures (the target folder can hold several, built with other options).
Cargo's compiler errors are passed through to stderr.
"""

import json
import sys


def main() -> int:
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        reason = message.get("reason")
        if reason == "build-script-executed":
            package = message["package_id"]
            # "registry+https://...#llama-cpp-sys-2@0.1.161" (cargo >= 1.77) or "name 0.1.161 (...)"
            name = package.rsplit("#", 1)[-1].split("@", 1)[0] if "#" in package else package.split(" ", 1)[0]
            print(name, message["out_dir"])
        elif reason == "compiler-message" and message["message"].get("level") == "error":
            sys.stderr.write(message["message"].get("rendered") or "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
