"""The real bundle: built from PyPI (through pip's configuration and cache), installed with no network.

One bundle for both platforms is built per module run. The Linux half is installed by its own install.sh
into a fresh virtual environment inside a network namespace with no interfaces up (`unshare --net`;
where that is refused, pip is still held off the network by PIP_NO_INDEX and proxies on a dead local
port), and the installed, non-editable docscan then scans documents made here and finds their marks,
OCR included. The Windows half cannot be installed here: its file list is checked wheel by wheel for
64-bit Windows and this Python, and its dependency closure under Windows markers must be complete.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from packaging.utils import parse_wheel_filename
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from scanner import bundle, bundle_deps

ROOT = Path(__file__).resolve().parents[2]
PY = sys.version_info[:2]
CP = f"cp{PY[0]}{PY[1]}"
DEAD_PROXY = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def real_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "docscan-offline"
    bundle.build(bundle.Plan(out, ("linux", "windows"), PY), lambda line: None)
    return out


@functools.cache
def no_network_prefix() -> tuple[str, ...]:
    """`unshare --net` when this process may make a network namespace (root), else nothing."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True).returncode == 0:
        return (unshare, "--net")
    return ()


def offline(cmd: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "PIP_NO_INDEX": "1",
           "PYTHON": sys.executable}
    env.update({name: DEAD_PROXY for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")})
    return subprocess.run([*no_network_prefix(), *cmd], env=env, cwd=home, capture_output=True, text=True, timeout=900)


def make_documents(folder: Path) -> dict[str, str | None]:
    """A marked TXT, DOCX, PDF and scanned PNG, and a law text that only mentions a level."""
    folder.mkdir()
    (folder / "专项检查通知.txt").write_text("机密★5年\n关于开展专项检查的通知\n各单位：请按要求自查。\n", encoding="utf-8")
    (folder / "条例节选.txt").write_text("第四十八条 违反本法规定，泄露绝密级国家秘密的，依法给予处分。\n", encoding="utf-8")
    document = docx.Document()
    for line in ("秘密★1年", "数据中心迁移实施方案", "一、迁移范围和时间安排。"):
        document.add_paragraph(line)
    document.save(str(folder / "迁移方案.docx"))
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(folder / "会议纪要.pdf"), pagesize=A4, invariant=1)
    page.setFont("STSong-Light", 14)
    page.drawString(72, A4[1] - 72, "绝密★长期")
    page.drawString(200, A4[1] - 120, "专题会议纪要")
    page.save()
    shutil.copy2(ROOT / "tests" / "data" / "ocr" / "scan_top.png", folder / "扫描件.png")
    return {"专项检查通知.txt": "机密", "条例节选.txt": None, "迁移方案.docx": "秘密", "会议纪要.pdf": "绝密",
            "扫描件.png": "秘密"}


def test_linux_bundle_installs_and_scans_with_no_network(real_bundle: Path, tmp_path: Path) -> None:
    if no_network_prefix():  # the namespace really has no way out
        probe = offline([sys.executable, "-c", "import socket; socket.create_connection(('1.1.1.1', 443), 3)"],
                        tmp_path)
        assert probe.returncode != 0 and "Network is unreachable" in probe.stderr
    venv = tmp_path / "docscan-env"
    installed = offline(["sh", str(real_bundle / "install.sh"), str(venv), "--no-compile", "-q"], tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    where = offline([str(venv / "bin" / "python"), "-c", "import scanner, markings, models; print(scanner.__file__)"],
                    tmp_path)
    assert where.stdout.startswith(str(venv / "lib")), where.stdout + where.stderr  # not the checkout
    expected = make_documents(tmp_path / "docs")
    report = tmp_path / "report.jsonl"
    scan = offline([str(venv / "bin" / "docscan"), "scan", str(tmp_path / "docs"), "--output", str(report),
                    "--quiet", "--jobs", "2"], tmp_path)
    assert scan.returncode == 1, scan.stderr
    records = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    found = {Path(r["path"]).name: (r["marking"] or {}).get("level") for r in records}
    assert found == expected, [(r["path"], r["status"], r["error"]) for r in records]


def test_every_wheel_fits_its_platform_and_this_python(real_bundle: Path) -> None:
    for key, platforms in (("linux-x86_64", bundle_deps.linux().platforms), ("windows-x86_64", ("win_amd64",))):
        wheels = sorted((real_bundle / key).glob("*.whl"))
        assert len(wheels) > 40 and not list((real_bundle / key).glob("*.tar.gz"))
        for wheel in wheels:
            tags = parse_wheel_filename(wheel.name)[3]
            assert any(_fits(t.interpreter, t.abi, t.platform, platforms) for t in tags), (key, wheel.name)


def _fits(interpreter: str, abi: str, platform: str, platforms: tuple[str, ...]) -> bool:
    """Read straight from the tag rules (not bundle_deps): this CPython, or the stable ABI, or pure Python."""
    if platform != "any" and platform not in platforms:
        return False
    if abi == CP:
        return interpreter == CP
    if abi == "abi3":
        return interpreter.startswith("cp3") and int(interpreter[3:]) <= PY[1]
    return abi == "none" and interpreter in ("py3", f"py{PY[0]}{PY[1]}", CP)


def test_each_platform_folder_holds_exactly_what_docscan_needs_there(real_bundle: Path) -> None:
    own = next((real_bundle / "linux-x86_64").glob("docscan-*.whl"))
    root = f"docscan=={parse_wheel_filename(own.name)[1]}"
    for target in (bundle_deps.linux(), bundle_deps.windows()):
        folder = real_bundle / target.key
        wheels = bundle_deps.read_folder(folder)
        found = bundle_deps.closure(wheels, [root], bundle_deps.environment(target, PY, sys.version.split()[0]),
                                    bundle_deps.supported_tags(target, PY))
        assert not found.missing, (target.key, found.missing)
        assert {w.path.name for w in found.chosen.values()} == {w.path.name for w in wheels if w.name != "pip"}
        pins = (folder / "requirements.txt").read_text(encoding="utf-8")
        assert all(f"{w.name}=={w.version} --hash=sha256:{bundle.sha256(w.path)}" in pins for w in wheels)
        if "tqdm" in found.chosen:  # tqdm needs colorama on Windows only, a marker pip evaluates for Linux
            assert ("colorama" in found.chosen) == (target.key == "windows-x86_64")


def test_windows_gets_the_versions_installed_and_tested_here(real_bundle: Path) -> None:
    """Only the Linux half can be installed here, so the Windows half must hold the same releases."""
    manifest = json.loads((real_bundle / "MANIFEST.json").read_text(encoding="utf-8"))
    linux, windows = ({w["name"]: w["version"] for w in manifest["platforms"][key]}
                      for key in ("linux-x86_64", "windows-x86_64"))
    assert {name: (v, windows[name]) for name, v in linux.items() if windows.get(name) != v} == {}
    assert manifest["python"] == f"{PY[0]}.{PY[1]}" and manifest["source"]["commit"]
