"""`docscan bundle`: an offline install bundle, built on a connected machine, installed with no network.

    DIR/linux-x86_64/    wheels for CPython X.Y on Linux x86-64 (glibc >= 2.28) + requirements.txt
    DIR/windows-x86_64/  wheels for CPython X.Y on 64-bit Windows + requirements.txt
    DIR/install.sh, DIR/install.bat   make a virtual environment next to them and install from the wheels
    DIR/README.txt (Chinese), DIR/samples/, DIR/MANIFEST.json, DIR/SHA256SUMS

Each platform folder alone installs docscan: `pip install --no-index --find-links DIR/<platform> docscan`.
The install scripts go further: pip ignores every configuration file and environment variable, and
`--require-hashes` checks each wheel against requirements.txt, so a damaged or swapped wheel stops the
install. Only wheels are bundled (an air-gapped Windows laptop has no compiler); a dependency that PyPI
ships only as source is built into a wheel here and kept only if that wheel is pure Python.
Building uses pip (its configuration, mirrors and cache) with the running interpreter.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.errors import DocscanError

if TYPE_CHECKING:
    from scanner.bundle_deps import Closure, Target, Wheel

SOURCE = Path(__file__).resolve().parent.parent
TEMPLATES = Path("tools") / "bundle"
PLATFORMS = ("linux", "windows")
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "venv", "corpus", "tests", "benchmarks", "tools",
                                    "build", "dist", "__pycache__", "*.pyc", "*.egg-info", ".*_cache",
                                    ".hypothesis", "reports")
NETWORK_TROUBLE = ("NewConnectionError", "Max retries exceeded", "Temporary failure in name resolution",
                   "ProxyError", "ConnectTimeout", "Network is unreachable", "SSLError")
OURS = ("linux-x86_64", "windows-x86_64", "samples", "samples-expected.tsv", "install.sh", "install.bat",
        "README.txt", "MANIFEST.json", "SHA256SUMS")
MAX_ROUNDS = 8
Log = Callable[[str], None]


class BundleError(DocscanError):
    """The bundle cannot be built; the message says why (a dependency without a usable wheel, pip failed)."""


@dataclass(frozen=True)
class Plan:
    out: Path
    platforms: tuple[str, ...] = PLATFORMS
    python: tuple[int, int] = sys.version_info[:2]
    extras: tuple[str, ...] = ()
    source: Path = SOURCE


def build(plan: Plan, log: Log) -> dict:
    """Write the bundle into plan.out and return its manifest. Raises BundleError."""
    from scanner import bundle_deps as deps

    targets = [deps.linux() if p == "linux" else deps.windows() for p in plan.platforms]
    if not (plan.source / "pyproject.toml").is_file():
        raise BundleError(f"找不到 docscan 源码（{plan.source} 中没有 pyproject.toml），"
                          "请用 --source 指定仓库根目录 (no checkout)")
    _prepare_out(plan.out)
    with tempfile.TemporaryDirectory(prefix="docscan-bundle-") as tmp:
        work = Path(tmp)
        own = _own_wheel(plan.source, work, log)
        built = work / "built"
        built.mkdir()
        chosen = {}
        for target in targets:
            log(f"{target.key}: 下载依赖 (downloading wheels) ...")
            chosen[target.key] = _platform(plan, target, own, built, log)
        installer = _fetch(["download", "--no-deps", "--only-binary=:all:", "-d", str(work / "installer"),
                            "--python-version", _dotted(plan.python), "pip"], work / "installer", "pip")
        platforms = {}
        for key, wheels in chosen.items():
            shutil.copy2(installer, plan.out / key / installer.name)
            _write_requirements(plan.out / key, wheels, installer, plan.extras)
            every = [*wheels.values(), deps.read_wheel(plan.out / key / installer.name)]
            platforms[key] = [_entry(w, built) for w in sorted(every, key=lambda w: w.name)]
    from scanner.bundle_files import write_common

    return write_common(plan, platforms, installer.name, own.name, log)


def _dotted(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def _prepare_out(out: Path) -> None:
    """A new or empty folder, or an earlier bundle (whose own files are replaced; anything else is kept)."""
    if out.exists() and any(out.iterdir()):
        if not (out / "MANIFEST.json").is_file():
            raise BundleError(f"输出文件夹不为空，且不是 docscan 离线安装包 (not empty, not a bundle): {out}")
        for name in OURS:
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _pip(args: list[str]) -> subprocess.CompletedProcess[str]:
    """pip of the running interpreter, with the user's configuration (index mirrors) and cache."""
    done = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True,
                          errors="replace")
    if done.returncode != 0 and any(sign in done.stdout + done.stderr for sign in NETWORK_TROUBLE):
        raise BundleError("无法连接软件包索引（PyPI 或 pip 配置的镜像）；生成离线安装包需要在联网机器上进行 "
                          f"(cannot reach the package index):\n{_tail(done)}")
    return done


def _fetch(args: list[str], folder: Path, what: str) -> Path:
    """Run pip to put one wheel into an empty folder and return it."""
    result = _pip(args)
    found = sorted(folder.glob("*.whl")) if folder.is_dir() else []
    if result.returncode != 0 or len(found) != 1:
        raise BundleError(f"无法取得 {what} 的 wheel (cannot get a wheel for {what}):\n{_tail(result)}")
    return found[0]


def _tail(result: subprocess.CompletedProcess[str], lines: int = 15) -> str:
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


def _own_wheel(source: Path, work: Path, log: Log) -> Path:
    """docscan's wheel, built from a copy of the checkout (the checkout gets no build/ or egg-info)."""
    log("构建 docscan 的 wheel (building docscan's wheel) ...")
    shutil.copytree(source, work / "src", ignore=NOT_SOURCE)
    return _fetch(["wheel", "--no-deps", "-w", str(work / "own"), str(work / "src")], work / "own", "docscan")


def _platform(plan: Plan, target: Target, own: Path, built: Path, log: Log) -> dict[str, Wheel]:
    """Download until the folder holds every wheel docscan needs on the target; drop the rest."""
    from scanner import bundle_deps as deps

    folder = plan.out / target.key
    folder.mkdir()
    env = deps.environment(target, plan.python, sys.version.split()[0])
    accepted = deps.supported_tags(target, plan.python)
    extras = f"[{','.join(plan.extras)}]" if plan.extras else ""
    root = f"docscan{extras}=={deps.read_wheel(own).version}"
    wanted = [f"{own}{extras}"]
    for _ in range(MAX_ROUNDS):
        result = _pip(_download_args(plan, target, folder, built) + wanted)
        if result.returncode != 0:
            _build_missing(result, target, plan, built, log)
            continue
        found = deps.closure(deps.read_folder(folder), [root], env, accepted)
        if not found.missing:
            _drop_unused(folder, found, log)
            return found.chosen
        more = [str(r) for r in found.missing if str(r) not in wanted]
        if not more:
            raise BundleError(f"{target.key}: 依赖版本冲突，无法满足 (unsatisfiable): {_names(found)}")
        log(f"  {target.key}: 补充只在该平台需要的依赖 (platform-only dependencies): {', '.join(more)}")
        wanted += more
    raise BundleError(f"{target.key}: 多次下载后依赖仍不完整 (still incomplete after {MAX_ROUNDS} rounds)")


def _names(found: Closure) -> str:
    return ", ".join(str(r) for r in found.missing)


def _download_args(plan: Plan, target: Target, folder: Path, built: Path) -> list[str]:
    args = ["download", "--only-binary=:all:", "--python-version", _dotted(plan.python),
            "--implementation", "cp", "-d", str(folder), "--find-links", str(built)]
    for platform in target.platforms:
        args += ["--platform", platform]
    return args


def _build_missing(result: subprocess.CompletedProcess[str], target: Target, plan: Plan, built: Path,
                   log: Log) -> None:
    """pip found no wheel for a requirement: build one here and keep it if it installs on the target.

    Raises BundleError naming the package when it cannot be built or the wheel fits only this machine.
    """
    from scanner import bundle_deps as deps

    hits = re.findall(r"No matching distribution found for (\S+)", result.stdout + result.stderr)
    if not hits:
        raise BundleError(f"{target.key}: pip download 失败 (failed):\n{_tail(result)}")
    req = hits[-1]
    trial = built.parent / "trial"
    shutil.rmtree(trial, ignore_errors=True)
    made = _pip(["wheel", "--no-deps", "-w", str(trial), req])
    wheels = sorted(trial.glob("*.whl"))
    if made.returncode != 0 or not wheels:
        raise BundleError(f"{req}: PyPI 上没有适用于 {target.key} 的 wheel，本机也无法构建 "
                          f"(no wheel, cannot build):\n{_tail(made)}")
    wheel = deps.read_wheel(wheels[0])
    if not wheel.tags & deps.supported_tags(target, plan.python) or (built / wheels[0].name).exists():
        raise BundleError(f"{req}: PyPI 上没有适用于 {target.key} 的 wheel；本机构建出的 {wheels[0].name} "
                          f"不能在该平台安装，离线机器也无法从源码构建 (no {target.key} wheel on the index)")
    shutil.move(str(wheels[0]), built / wheels[0].name)
    log(f"  {req}: PyPI 上只有源码包，已在本机构建 {wheels[0].name}"
        + ("（纯 Python，各平台通用）" if wheel.pure else ""))


def _drop_unused(folder: Path, found: Closure, log: Log) -> None:
    keep = {w.path.name for w in found.chosen.values()}
    for path in sorted(folder.glob("*.whl")):
        if path.name not in keep:
            log(f"  {folder.name}: 移除不需要的 {path.name} (not needed on this platform)")
            path.unlink()
    for path in folder.iterdir():
        if path.suffix != ".whl":
            raise BundleError(f"{folder.name}: 出现了非 wheel 文件 (not a wheel): {path.name}")


def _write_requirements(folder: Path, chosen: dict[str, Wheel], installer: Path,
                        extras: tuple[str, ...]) -> None:
    """requirements.txt: every wheel pinned with its SHA-256, for pip's --require-hashes."""
    lines = ["# docscan 离线安装：pip install --no-index --find-links . --require-hashes -r requirements.txt"]
    for wheel in sorted(chosen.values(), key=lambda w: w.name):
        name = f"docscan[{','.join(extras)}]" if wheel.name == "docscan" and extras else wheel.name
        lines.append(f"{name}=={wheel.version} --hash=sha256:{sha256(wheel.path)}")
    installer_version = installer.name.split("-")[1]
    lines.append(f"pip=={installer_version} --hash=sha256:{sha256(installer)}")
    (folder / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _entry(wheel: Wheel, built: Path) -> dict:
    return {"file": wheel.path.name, "name": wheel.name, "version": str(wheel.version),
            "size": wheel.path.stat().st_size, "sha256": sha256(wheel.path),
            "built_here": (built / wheel.path.name).exists()}


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file (each wheel is hashed once per build for pins, manifest and SHA256SUMS)."""
    st = path.stat()
    return _sha256(path.resolve(), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=1024)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _version(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)\.(\d+)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"应为 主版本.次版本，例如 3.11 (expected X.Y): {text!r}")
    return int(m.group(1)), int(m.group(2))


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `docscan bundle` (wiring: cli.build_parser and cli.main's command table)."""
    here = _dotted(sys.version_info[:2])
    p = subparsers.add_parser(
        "bundle", help="生成离线安装包 (build an offline install bundle)",
        description="在联网机器上生成离线安装包：docscan 及全部依赖的 wheel（Linux x86-64、Windows x86-64）、"
                    "安装脚本、说明和校验清单；在不联网的机器上用 install.sh / install.bat 安装。")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="输出文件夹（已有的离线安装包会被替换）(output folder)")
    p.add_argument("--platform", action="append", choices=PLATFORMS, default=None,
                   help="目标平台，可重复；默认 linux 和 windows 都生成 (target platform)")
    p.add_argument("--python", type=_version, default=sys.version_info[:2], metavar="X.Y",
                   help=f"离线机器上的 Python 版本，默认与本机相同 {here} (Python on the offline machine)")
    p.add_argument("--cluster", action="store_true",
                   help="同时打包集群扫描所需的依赖 (include the cluster extra)")
    p.add_argument("--source", metavar="DIR", default=None,
                   help="docscan 源码目录，默认为本程序所在的仓库 (checkout)")
    return p


def command(args: argparse.Namespace) -> int:
    """Run `docscan bundle`: 0 when the bundle is complete, 2 when it cannot be built."""
    platforms = tuple(dict.fromkeys(args.platform or PLATFORMS))
    extras = ("cluster",) if args.cluster else ()
    source = Path(args.source).resolve() if args.source else SOURCE
    plan = Plan(Path(args.out).resolve(), platforms, args.python, extras, source)
    started = time.monotonic()
    try:
        manifest = build(plan, lambda line: print(line, file=sys.stderr))
    except (BundleError, OSError, ValueError) as exc:
        print(f"docscan: 无法生成离线安装包 (cannot build the bundle): {exc}", file=sys.stderr)
        return 2
    for key, wheels in manifest["platforms"].items():
        size = sum(w["size"] for w in wheels) / 2**20
        print(f"{key}: {len(wheels)} 个 wheel，{size:.0f} MB", file=sys.stderr)
    seconds = time.monotonic() - started
    print(f"离线安装包已写入 {plan.out}（用时 {seconds:.0f} 秒）；安装方法见其中的 README.txt",
          file=sys.stderr)
    return 0
