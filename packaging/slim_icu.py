"""Shrink the ICU data library Qt ships (libicudata.so.NN, about 31 MB) to what the app uses.

    python3 packaging/slim_icu.py BUNDLE_DIR

Qt formats numbers, dates and locale names from its own CLDR tables; it asks ICU only for
collation (sorting names and keys in the user's language), case mapping, a few legacy text
codecs and time-zone names. So the bundle keeps ICU's core data, every collation table (a
Swedish user still sorts "Å" after "Z"), the break-iteration rules and dictionaries, the
English and root locale data, and the Western European, Cyrillic and Greek codecs; it drops the
other locales' display names (currencies, languages, regions, units, zones), transliteration
and the East Asian and EBCDIC codecs. That is about 10 MB instead of 31 MB.

Uses ICU's own tools (``icupkg`` to drop items, ``genccode`` to turn the package back into a
library; Debian: ``apt-get install icu-devtools``) and a C compiler. Without them, or if the
result would not be a valid package, the bundle is left unchanged and the reason is printed:
this step saves space, it never breaks a build.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# "de.res", "de_CH.res", "zh_Hant_TW.res", "es_.res": one locale's data
LOCALE_ITEM = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]*)*\.res$")
# codecs kept: Windows-125x, ISO-8859-x (ICU's ibm-9xx/ibm-5xxx tables for them)
KEPT_CODECS = re.compile(
    r"(ibm-5346|ibm-5347|ibm-5348|ibm-5349|ibm-5350|ibm-125\d|ibm-91[2-5]|ibm-920|ibm-923|iso-8859)"
)


def dropped(item: str) -> bool:
    """Whether ICU package item ``item`` (e.g. ``curr/de.res``) leaves the bundle."""
    folder, _, base = item.rpartition("/")
    if folder == "coll" or base.endswith(".dict"):
        return False  # sorting in every language; dictionaries the break rules depend on
    if folder == "translit":
        return True
    if base.endswith(".cnv"):
        return not KEPT_CODECS.search(base)
    if LOCALE_ITEM.match(base):
        return not (base == "en.res" or base.startswith("en_"))
    return False


def slim(library: Path) -> str:
    """Replace ``library`` by a slimmer build of the same ICU data; return what happened."""
    for tool in ("icupkg", "genccode", "cc", "objcopy"):
        if shutil.which(tool) is None:
            return (
                f"left as is: {tool} is not installed (apt-get install icu-devtools gcc binutils)"
            )
    match = re.search(r"libicudata\.so\.(\d+)", library.name)
    if match is None:
        return f"left as is: {library.name} is not named libicudata.so.NN"
    name = f"icudt{match.group(1)}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        full, small = work / "full" / f"{name}l.dat", work / "small" / f"{name}l.dat"
        full.parent.mkdir()
        small.parent.mkdir()
        # The data is the library's read-only section, which starts with the package itself.
        run("objcopy", "-O", "binary", "--only-section=.rodata", str(library), str(full))
        listed = run("icupkg", "-l", str(full)).split()
        if len(listed) < 100:
            return "left as is: the library's data is not an ICU package"
        drop = [item for item in listed if dropped(item)]
        (work / "drop.txt").write_text("\n".join(drop) + "\n")
        run("icupkg", "-r", str(work / "drop.txt"), str(full), str(small))
        if len(run("icupkg", "-l", str(small)).split()) != len(listed) - len(drop):
            return "left as is: icupkg did not write the expected package"
        run("genccode", "-a", "gcc", "-e", name, "-d", str(work), str(small))
        run("cc", "-c", str(work / f"{name}l_dat.S"), "-o", str(work / "data.o"))
        built = work / library.name
        run(
            "cc", "-shared", "-nostdlib", f"-Wl,-soname,{library.name}",
            "-o", str(built), str(work / "data.o"),
        )  # fmt: skip
        if f"{name}_dat" not in run("nm", "-D", str(built)):
            return f"left as is: the rebuilt library lacks the symbol {name}_dat"
        before = library.stat().st_size
        shutil.copyfile(built, library)
        after = library.stat().st_size
    return (
        f"{library.name}: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB "
        f"({len(drop)} of {len(listed)} items dropped)"
    )


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: slim_icu.py BUNDLE_DIR", file=sys.stderr)
        return 2
    libraries = [
        p for p in Path(argv[0]).rglob("libicudata.so.*") if p.is_file() and not p.is_symlink()
    ]
    if not libraries:
        print("icu: no libicudata in the bundle, nothing to do")
    for library in libraries:
        try:
            print("icu:", slim(library))
        except subprocess.CalledProcessError as error:
            print(f"icu: left as is: {error.cmd[0]} failed: {error.stderr.strip()[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
