"""List the shared libraries in a Linux bundle that nothing in it links.

    python3 packaging/unlinked.py BUNDLE_DIR

Starts from what is loaded by itself (the two programs, libpython, every Python extension
module and every Qt plugin), follows each ELF file's NEEDED entries (``readelf -d``) to the
libraries of the bundle, and prints those never reached, biggest first, with their total.
PyInstaller copies a plugin's dependencies even when prune.py drops the plugin, so a new
entry here is a library to add to prune.LINUX_LIBS_DROPPED, unless something opens it by
name at run time (as libX11 does libXcursor: KEPT_OPENED below). Prints and exits 0 either
way: a check to read, not a gate.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

# opened with dlopen, not linked: libX11 loads libXcursor (and it libXrender, libXfixes) for
# cursor themes; glibc loads libgcc_s to unwind (pthread_cancel, backtraces)
KEPT_OPENED = ("libXcursor.so", "libXrender.so", "libXfixes.so", "libgcc_s.so")
NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def _loaded_by_itself(root: Path, path: Path) -> bool:
    rel = path.relative_to(root).as_posix()
    return (
        path.parent == root
        or ".cpython-" in path.name
        or path.name.endswith(".abi3.so")
        or "/plugins/" in rel
        or path.name.startswith(("libpython",) + KEPT_OPENED)
    )


def unlinked(root: Path) -> list[Path]:
    elves = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and _is_elf(p)]
    by_name: dict[str, Path] = {}
    for path in elves:
        by_name.setdefault(path.name, path)
    for link in root.rglob("*.so*"):  # sonames that are symlinks to the file
        if link.is_symlink() and link.resolve().exists():
            by_name.setdefault(link.name, link.resolve())
    reached: set[Path] = set()
    todo = [p for p in elves if _loaded_by_itself(root, p)]
    while todo:
        path = todo.pop()
        if path in reached:
            continue
        reached.add(path)
        out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
        todo += [by_name[name] for name in NEEDED.findall(out) if name in by_name]
    return sorted((p for p in elves if p not in reached), key=lambda p: -p.stat().st_size)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: unlinked.py BUNDLE_DIR", file=sys.stderr)
        return 2
    if shutil.which("readelf") is None:
        print("unlinked: readelf is not installed (binutils); not checked")
        return 0
    root = Path(argv[1]).resolve()
    found = unlinked(root)
    for path in found:
        print(f"unlinked: {path.stat().st_size / 1e6:6.2f} MB  {path.relative_to(root)}")
    total = sum(p.stat().st_size for p in found) / 1e6
    print(f"unlinked: {len(found)} libraries ({total:.1f} MB) that nothing in the bundle links")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
