#!/usr/bin/env python3
"""Print the CMake -D arguments a CMakeCache.txt records, one per line, for rebuilding alike.

Usage: cmake_cache_args.py PATH/TO/CMakeCache.txt

Keeps what decides the speed of the compiled engine: every GGML_* boolean option, the build type
and the C/C++ flags. scripts/bench applies them to the upstream tools so that whisper-cli and
llama-bench are compiled exactly like the engines inside our own workers.
"""

import re
import sys

KEEP_EXACT = {"CMAKE_BUILD_TYPE", "CMAKE_C_FLAGS", "CMAKE_CXX_FLAGS"}
ENTRY = re.compile(r"^([A-Za-z0-9_]+):([A-Z]+)=(.*)$")


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as lines:
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
