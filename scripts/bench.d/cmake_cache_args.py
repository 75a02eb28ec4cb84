#!/usr/bin/env python3
"""Print the CMake -D arguments our own cargo build of a native crate used, one per line.

Usage: cmake_cache_args.py CARGO_TARGET_DIR CRATE   (e.g. llama-cpp-sys-2)

Reads the newest CMakeCache.txt under $CARGO_TARGET_DIR/debug/build/CRATE-*/out/build/ and keeps
what decides the speed of the compiled engine: every GGML_* boolean option, the build type and the
C/C++ flags. The first output line is `# <path of the cache>`. Exits 1 when no cache exists yet.
"""

import glob
import os
import re
import sys

KEEP_EXACT = {"CMAKE_BUILD_TYPE", "CMAKE_C_FLAGS", "CMAKE_CXX_FLAGS"}
ENTRY = re.compile(r"^([A-Za-z0-9_]+):([A-Z]+)=(.*)$")


def main() -> int:
    target_dir, crate = sys.argv[1], sys.argv[2]
    pattern = os.path.join(target_dir, "debug", "build", f"{crate}-*", "out", "build", "CMakeCache.txt")
    caches = sorted(glob.glob(pattern), key=os.path.getmtime)
    if not caches:
        print(f"no CMakeCache.txt matches {pattern}", file=sys.stderr)
        return 1
    cache = caches[-1]
    print(f"# {cache}")
    with open(cache, encoding="utf-8") as lines:
        for line in lines:
            match = ENTRY.match(line.rstrip("\n"))
            if not match:
                continue
            key, kind, value = match.groups()
            if key in KEEP_EXACT or (key.startswith("GGML_") and kind == "BOOL"):
                print(f"-D{key}:{kind}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
