"""Turn the PyInstaller bundle into a .deb with dpkg-deb.

Layout of the package:
    /opt/storylens/                      the bundle (program + _internal/)
    /usr/bin/storylens                   relative symlink into /opt, so it also works in a
                                         scratch root (the smoke test installs into one)
    /usr/share/applications/storylens.desktop
    /usr/share/icons/hicolor/{scalable,NxN}/apps/storylens.{svg,png}
    /usr/share/doc/storylens/copyright

No maintainer scripts: the desktop menu and the icon cache are refreshed by the dpkg triggers
that desktop-file-utils and hicolor-icon-theme declare on those folders, and `dpkg -r` removes
every file the package installed, so removal is clean by construction (the smoke test checks it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

# The system libraries the bundle needs and does not carry (bundle_rules.from_the_system):
# Qt's X11/xcb, GL/EGL, font and D-Bus stack, and what Python's own extension modules link.
# `check_depends` proves at build time that every library a bundled program or library needs is
# either inside the bundle or comes from one of these packages. Alternatives cover the t64
# renames of Ubuntu 24.04; the names are those of Debian 12 and Ubuntu 22.04 and later.
# Lower bounds: the newest glibc and libstdc++ symbol versions the bundle uses (checked too).
GLIBC_MIN = (2, 35)  # PySide6 6.12's wheels need glibc 2.35 (Debian 12, Ubuntu 22.04)
GLIBCXX_MAX = (3, 4, 29)  # GCC 11's libstdc++; Debian 12 and Ubuntu 22.04 ship GCC 12's
DEPENDS = (
    f"libc6 (>= {GLIBC_MIN[0]}.{GLIBC_MIN[1]})",
    "libstdc++6 (>= 11)",
    "libgcc-s1",
    "zlib1g",
    "libzstd1",
    "liblzma5",
    "libbz2-1.0",
    "libffi8",
    "libsqlite3-0",
    "libssl3t64 | libssl3",
    "libuuid1",
    "libglib2.0-0t64 | libglib2.0-0",
    "libdbus-1-3",
    "libfontconfig1",
    "libfreetype6",
    "libx11-6",
    "libx11-xcb1",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-glx0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-render0",
    "libxcb-shape0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-util1",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libegl1",
    "libgl1",
)


@dataclass(frozen=True)
class Compression:
    """How dpkg-deb compresses data.tar: `release` for `make package`, `quick` for the test."""

    name: str
    args: tuple[str, ...]


COMPRESSIONS = {
    # xz -9 with the "extreme" strategy: the smallest .deb dpkg-deb makes, and every dpkg since
    # 1.15 installs it (zstd .debs need dpkg >= 1.21.18 on Debian, i.e. bookworm and later).
    "xz": Compression("xz -9e", ("-Zxz", "-z9", "-Sextreme")),
    "zstd": Compression("zstd -19", ("-Zzstd", "-z19")),
    "quick": Compression("zstd -1", ("-Zzstd", "-z1")),
}


def project_version() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def stage(bundle: Path, staging: Path) -> Path:
    """Lay out the package's files under `staging` (emptied first); returns it."""
    if staging.exists():
        shutil.rmtree(staging)
    opt = staging / "opt" / "storylens"
    shutil.copytree(bundle, opt, symlinks=True)
    (staging / "usr" / "bin").mkdir(parents=True)
    (staging / "usr" / "bin" / "storylens").symlink_to("../../opt/storylens/storylens")
    share = staging / "usr" / "share"
    _install(HERE / "storylens.desktop", share / "applications" / "storylens.desktop")
    icons = share / "icons" / "hicolor"
    _install(HERE / "icons" / "storylens.svg", icons / "scalable" / "apps" / "storylens.svg")
    for size in ICON_SIZES:
        png = HERE / "icons" / f"storylens-{size}.png"
        _install(png, icons / f"{size}x{size}" / "apps" / "storylens.png")
    _install(HERE / "copyright", share / "doc" / "storylens" / "copyright")
    _normalise_modes(staging)
    return staging


def _install(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _normalise_modes(staging: Path) -> None:
    """0755 for folders and programs, 0644 for everything else (lintian's expectations)."""
    for dirpath, dirnames, filenames in os.walk(staging):
        for name in dirnames:
            (Path(dirpath) / name).chmod(0o755)
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                continue
            executable = _is_elf(path) or path.stat().st_mode & 0o111
            path.chmod(0o755 if executable else 0o644)


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def installed_size_kib(staging: Path) -> int:
    """What dpkg-gencontrol would write: each file rounded up to 1 KiB, 1 KiB per other entry."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(staging):
        if Path(dirpath) == staging and "DEBIAN" in dirnames:
            dirnames.remove("DEBIAN")
        total += len(dirnames)
        for name in filenames:
            path = Path(dirpath) / name
            total += 1 if path.is_symlink() else -(-path.stat().st_size // 1024)
    return total


def write_control(staging: Path, version: str) -> str:
    control = "\n".join(
        [
            "Package: storylens",
            f"Version: {version}",
            "Architecture: amd64",
            "Maintainer: Storylens developers <storylens@example.org>",
            f"Installed-Size: {installed_size_kib(staging)}",
            f"Depends: {', '.join(DEPENDS)}",
            "Recommends: desktop-file-utils, hicolor-icon-theme",
            "Section: text",
            "Priority: optional",
            "Homepage: https://example.org/storylens",
            "Description: semantic search over stories, offline",
            ' Ask for a moment in plain language ("her father comes back to apologise")',
            " and Storylens finds the passages that mean it, in context, across a library",
            " of stories; it can set two tellings of the same moment side by side.",
            " .",
            " Everything runs on this computer: the language model ships inside the",
            " package and nothing is sent anywhere.",
            "",
        ]
    )
    debian = staging / "DEBIAN"
    debian.mkdir(exist_ok=True)
    (debian / "control").write_text(control, encoding="utf-8")
    return control


def build_deb(staging: Path, output: Path, compression: Compression) -> float:
    """dpkg-deb --build; returns the seconds it took."""
    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", *compression.args, "--build", str(staging), str(output)],
        check=True,
    )
    return time.perf_counter() - started


def system_libraries(bundle: Path) -> dict[str, list[str]]:
    """Each shared library the bundle's ELF files need but do not carry -> who needs it."""
    carried = {path.name for path in bundle.rglob("*") if ".so" in path.name}
    needed: dict[str, list[str]] = {}
    for path in _elf_files(bundle):
        dynamic = subprocess.run(
            ["readelf", "-d", "--wide", str(path)], capture_output=True, text=True, check=False
        ).stdout
        for soname in re.findall(r"\(NEEDED\)\s+Shared library: \[(.+)\]", dynamic):
            if soname not in carried:
                needed.setdefault(soname, []).append(str(path.relative_to(bundle)))
    return needed


def _elf_files(bundle: Path) -> list[Path]:
    return sorted(
        path
        for path in bundle.rglob("*")
        if path.is_file() and not path.is_symlink() and _is_elf(path)
    )


def check_depends(bundle: Path) -> list[str]:
    """Problems with DEPENDS (empty = fine): a needed library no declared package provides,
    a declared package nothing needs, or symbol versions newer than the declared minimums."""
    declared = {alternative.split()[0] for entry in DEPENDS for alternative in entry.split(" | ")}
    locations = _ldconfig_paths()
    problems, used = [], set()
    for soname, users in sorted(system_libraries(bundle).items()):
        where = locations.get(soname)
        owner = _dpkg_owner(where) if where else None
        if owner is None:
            problems.append(f"{soname} (needed by {users[0]}) is not installed here")
        elif owner.removesuffix("t64") not in {name.removesuffix("t64") for name in declared}:
            problems.append(f"{soname} comes from {owner}, which Depends does not list")
        else:
            used.add(owner.removesuffix("t64"))
    unused = {entry.split()[0].removesuffix("t64") for entry in DEPENDS} - used
    problems += [f"Depends lists {name}, which nothing in the bundle needs" for name in unused]
    versions = symbol_versions(bundle)
    if versions.get("GLIBC", ()) > GLIBC_MIN:
        problems.append(f"the bundle needs GLIBC_{_dotted(versions['GLIBC'])} > {GLIBC_MIN}")
    if versions.get("GLIBCXX", ()) > GLIBCXX_MAX:
        problems.append(f"the bundle needs GLIBCXX_{_dotted(versions['GLIBCXX'])}")
    return problems


def symbol_versions(bundle: Path) -> dict[str, tuple[int, ...]]:
    """The newest GLIBC_ and GLIBCXX_ symbol versions any ELF file in the bundle requires."""
    newest: dict[str, tuple[int, ...]] = {}
    for path in _elf_files(bundle):
        listing = subprocess.run(
            ["readelf", "--version-info", "--wide", str(path)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        needs = listing.partition(".gnu.version_r")[2]  # what it requires, not what it defines
        for name, version in re.findall(r"Name: (GLIBC|GLIBCXX)_([0-9.]+)", needs):
            parsed = tuple(int(part) for part in version.split("."))
            newest[name] = max(newest.get(name, ()), parsed)
    return newest


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def _ldconfig_paths() -> dict[str, str]:
    listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    paths: dict[str, str] = {}
    for line in listing.splitlines()[1:]:
        if "x86-64" in line and " => " in line:
            soname, _, path = line.strip().partition(" => ")
            paths.setdefault(soname.split(" (")[0], path)
    return paths


def _dpkg_owner(path: str) -> str | None:
    for candidate in (path, str(Path(path).resolve())):
        found = subprocess.run(
            ["dpkg", "-S", candidate], capture_output=True, text=True, check=False
        )
        if found.returncode == 0:
            return found.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


if __name__ == "__main__":  # for .ci/run: the packages to have before building, one group a line
    print("\n".join(entry.split(" (")[0].replace(" | ", "|") for entry in DEPENDS))
