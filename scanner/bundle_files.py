"""The offline bundle's own files: install scripts, README.txt, samples, MANIFEST.json and SHA256SUMS.

Templates live in the checkout (tools/bundle/, UTF-8 with LF) and are written for the machine that reads
them: install.sh as UTF-8 with LF, install.bat as GBK with CRLF (cmd.exe on Chinese Windows reads the
OEM code page 936), README.txt as UTF-8 with a BOM and CRLF (Notepad on any Windows shows it right).
"""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.bundle_deps import GLIBC

if TYPE_CHECKING:
    from scanner.bundle import Log, Plan

SCRIPTS = {"linux-x86_64": "install.sh", "windows-x86_64": "install.bat"}
NAMES = {"linux-x86_64": "Linux x86-64", "windows-x86_64": "Windows x86-64"}


def write_common(plan: Plan, platforms: dict[str, list[dict]], pip_wheel: str, own: str, log: Log) -> dict:
    """Write everything beside the platform folders; return the manifest (also MANIFEST.json)."""
    from scanner.bundle import TEMPLATES, sha256

    manifest = {
        "docscan": own.split("-")[1],
        "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": f"{plan.python[0]}.{plan.python[1]}",
        "glibc": "{}.{}".format(*GLIBC) if "linux-x86_64" in platforms else None,
        "extras": list(plan.extras),
        "source": _commit(plan.source),
        "installer": pip_wheel,
        "platforms": platforms,
    }
    values = _values(manifest, pip_wheel)
    templates = plan.source / TEMPLATES
    for key in platforms:
        name = SCRIPTS[key]
        _render(templates / name, plan.out / name, values, windows=name.endswith(".bat"))
    if "linux-x86_64" in platforms:
        (plan.out / "install.sh").chmod(0o755)
    _render(templates / "README.txt", plan.out / "README.txt", values, windows=False, bom=True)
    _copy_samples(plan.source / "corpus", plan.out)
    (plan.out / "MANIFEST.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                            encoding="utf-8")
    files = sorted(p for p in plan.out.rglob("*") if p.is_file() and _ours(p.relative_to(plan.out)))
    sums = "".join(f"{sha256(p)}  {p.relative_to(plan.out).as_posix()}\n" for p in files)
    (plan.out / "SHA256SUMS").write_text(sums, encoding="utf-8")
    log(f"已写出 {len(files)} 个文件的校验值 SHA256SUMS (checksums written)")
    return manifest


def _ours(relative: Path) -> bool:
    from scanner.bundle import OURS

    return relative.parts[0] in OURS and relative.as_posix() != "SHA256SUMS"


def _values(manifest: dict, pip_wheel: str) -> dict[str, str]:
    python = manifest["python"]
    source = manifest["source"] or {}
    commit = source.get("commit") or "未知 (unknown)"
    return {
        "@VERSION@": manifest["docscan"],
        "@PYTHON@": python,
        "@PYTHON_TUPLE@": python.replace(".", ", "),
        "@PIP_WHEEL@": pip_wheel,
        "@GLIBC@": "{}.{}".format(*GLIBC),
        "@CREATED@": manifest["created"],
        "@PLATFORMS@": "、".join(NAMES[k] for k in manifest["platforms"]),
        "@COMMIT@": commit + ("（含未提交的修改）" if source.get("dirty") else ""),
    }


def _render(template: Path, target: Path, values: dict[str, str], windows: bool, bom: bool = False) -> None:
    if not template.is_file():
        from scanner.bundle import BundleError

        raise BundleError(f"缺少模板 (missing template): {template}")
    text = template.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(key, value)
    if windows or bom:
        text = text.replace("\n", "\r\n")
    data = text.encode("gbk") if windows else (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    target.write_bytes(data)


def _copy_samples(corpus: Path, out: Path) -> None:
    """The README's sample files, so the quick start works on the offline machine too."""
    if (corpus / "samples").is_dir():
        shutil.copytree(corpus / "samples", out / "samples")
    if (corpus / "samples-expected.tsv").is_file():
        shutil.copy2(corpus / "samples-expected.tsv", out / "samples-expected.tsv")


def _commit(source: Path) -> dict | None:
    """The checkout's commit and whether it had uncommitted changes; None outside git."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(source), *args], capture_output=True, text=True,
                                  timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    return {"commit": commit, "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
