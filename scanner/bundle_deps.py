"""What an offline bundle must hold: wheel tags per target platform and the dependency closure.

`pip download --platform X` picks wheels for X but evaluates environment markers for the machine it
runs on, so a Windows bundle built on Linux silently lacks Windows-only dependencies (tqdm needs
`colorama; platform_system == "Windows"`). The closure here reads each wheel's own METADATA and
evaluates its markers for the *target*, so the bundle command can fetch what pip missed and check
that a folder of wheels installs docscan on the target with no index at all.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from packaging import tags
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import Version

OLDEST_GLIBC = 5  # manylinux_2_5 == manylinux1
# The bundle's Linux floor: UOS 20, Kylin V10, RHEL 8 and later. An older floor (CentOS 7: 2.17) makes pip
# pick onnxruntime 1.16, built against numpy 1.x, beside numpy 2: OCR workers then crash.
GLIBC = (2, 28)


@dataclass(frozen=True)
class Target:
    """One platform an offline machine may have: its folder name, pip platform tags and marker values."""

    key: str  # folder name: linux-x86_64 | windows-x86_64
    platforms: tuple[str, ...]  # most preferred first, as pip's --platform takes them
    markers: tuple[tuple[str, str], ...]  # os_name, sys_platform, platform_system, ...


def linux(glibc: tuple[int, int] = GLIBC) -> Target:
    """Linux x86-64 with glibc `glibc` or newer."""
    major, minor = glibc
    if major != 2 or not OLDEST_GLIBC <= minor:
        raise ValueError(f"unsupported glibc version {major}.{minor}")
    new = [f"manylinux_2_{m}_x86_64" for m in range(minor, OLDEST_GLIBC - 1, -1)]
    aliases = (("manylinux2014", 17), ("manylinux2010", 12), ("manylinux1", 5))
    legacy = [name for name, m in aliases if m <= minor]
    markers = (("os_name", "posix"), ("sys_platform", "linux"), ("platform_system", "Linux"),
               ("platform_machine", "x86_64"), ("platform_release", ""), ("platform_version", ""))
    return Target("linux-x86_64", tuple(new + [f"{name}_x86_64" for name in legacy]), markers)


def windows() -> Target:
    """64-bit Windows 10/11 (python.org's 64-bit installer)."""
    markers = (("os_name", "nt"), ("sys_platform", "win32"), ("platform_system", "Windows"),
               ("platform_machine", "AMD64"), ("platform_release", "10"), ("platform_version", "10.0.19045"))
    return Target("windows-x86_64", ("win_amd64",), markers)


def environment(target: Target, python: tuple[int, int], full_version: str) -> dict[str, str]:
    """Every marker variable (PEP 508) as it reads on the target, so nothing leaks from this machine."""
    version = f"{python[0]}.{python[1]}"
    full = full_version if full_version.startswith(version + ".") else version + ".0"
    env = {"python_version": version, "python_full_version": full, "implementation_name": "cpython",
           "implementation_version": full, "platform_python_implementation": "CPython"}
    env.update(dict(target.markers))
    return env


def supported_tags(target: Target, python: tuple[int, int]) -> frozenset[tags.Tag]:
    """The wheel tags CPython `python` accepts on `target` (the same list pip builds for --platform)."""
    platforms = list(target.platforms)
    interpreter = f"cp{python[0]}{python[1]}"
    found = set(tags.cpython_tags(python, None, platforms))
    found.update(tags.compatible_tags(python, interpreter, platforms))
    return frozenset(found)


@dataclass(frozen=True)
class Wheel:
    path: Path
    name: NormalizedName
    version: Version
    tags: frozenset[tags.Tag]
    requires: tuple[str, ...] = field(default=(), compare=False)

    @property
    def pure(self) -> bool:
        """Installable on every platform (py3-none-any and the like)."""
        return all(t.abi == "none" and t.platform == "any" for t in self.tags)


def read_wheel(path: Path) -> Wheel:
    """A wheel's name, version and tags from its file name; Requires-Dist from its METADATA."""
    name, version, _build, wheel_tags = parse_wheel_filename(path.name)
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        meta = names[0] if len(names) == 1 else None
        if meta is None:
            raise ValueError(f"{path.name}: not exactly one .dist-info/METADATA")
        text = zf.read(meta).decode("utf-8")
    headers = HeaderParser().parsestr(text, headersonly=True)
    return Wheel(path, name, version, frozenset(wheel_tags), tuple(headers.get_all("Requires-Dist") or ()))


def read_folder(folder: Path) -> list[Wheel]:
    return [read_wheel(p) for p in sorted(folder.glob("*.whl"))]


@dataclass
class Closure:
    """The wheels that installing the roots on the target uses, and the requirements no wheel satisfies."""

    chosen: dict[NormalizedName, Wheel] = field(default_factory=dict)
    extras: dict[NormalizedName, set[str]] = field(default_factory=dict)
    missing: list[Requirement] = field(default_factory=list)


def closure(wheels: Iterable[Wheel], roots: Iterable[str], env: dict[str, str],
            accepted: frozenset[tags.Tag]) -> Closure:
    """Follow Requires-Dist from `roots` through the wheels that fit the target, as pip would install them.

    For each requirement the newest fitting wheel satisfying it is taken (the folder holds what pip
    resolved, so there is normally one). A requirement that no fitting wheel satisfies, or that conflicts
    with a version already taken, is listed in `missing`.
    """
    by_name: dict[NormalizedName, list[Wheel]] = {}
    for wheel in wheels:
        if wheel.tags & accepted:
            by_name.setdefault(wheel.name, []).append(wheel)
    result = Closure()
    queue = [Requirement(r) for r in roots]
    while queue:
        req = queue.pop(0)
        name = canonicalize_name(req.name)
        taken = result.chosen.get(name)
        if taken is not None:
            if not req.specifier.contains(taken.version, prereleases=True):
                result.missing.append(req)
            elif not set(req.extras) <= result.extras[name]:
                result.extras[name] |= set(req.extras)
                queue.extend(_needs(taken, result.extras[name], env))
            continue
        fits = [w for w in by_name.get(name, ()) if req.specifier.contains(w.version, prereleases=True)]
        if not fits:
            result.missing.append(req)
            continue
        best = max(fits, key=lambda w: w.version)
        result.chosen[name], result.extras[name] = best, set(req.extras)
        queue.extend(_needs(best, result.extras[name], env))
    return result


def _needs(wheel: Wheel, extras: set[str], env: dict[str, str]) -> list[Requirement]:
    """The wheel's requirements whose markers hold on the target with the requested extras."""
    out = []
    for line in wheel.requires:
        req = Requirement(line)
        if req.marker is None or any(req.marker.evaluate({**env, "extra": e}) for e in sorted(extras | {""})):
            req.marker = None
            out.append(req)
    return out
