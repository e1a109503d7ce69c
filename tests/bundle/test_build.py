"""`docscan bundle` end to end on made-up packages, with pip held to local folders (no index, no network).

The stand-in docscan checkout needs `fakepure` (PyPI would have only its source) and, on Windows only,
`fakewin` (source only as well): the bundle must build both into pure wheels, fetch `fakewin` for the
Windows folder although pip evaluates markers for Linux, and leave it out of the Linux folder. A package
whose only build is specific to this machine (`fakebin`) must stop the bundle, named.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from scanner import bundle
from scanner.bundle_deps import read_wheel
from tests.bundle.fake_backend import write_wheel

ROOT = Path(__file__).resolve().parents[2]
BACKEND = Path(__file__).with_name("fake_backend.py")
PYPROJECT = '[build-system]\nrequires = []\nbuild-backend = "fake_backend"\nbackend-path = ["."]\n'


def project_files(name: str, version: str, tag: str, requires: list[str]) -> dict[str, bytes]:
    config = {"name": name, "version": version, "tag": tag, "requires": requires}
    return {"pyproject.toml": PYPROJECT.encode(), "fake_backend.py": BACKEND.read_bytes(),
            "fake.json": json.dumps(config).encode()}


def write_sdist(folder: Path, name: str, tag: str = "py3-none-any", requires: list[str] | None = None) -> None:
    with tarfile.open(folder / f"{name}-1.0.tar.gz", "w:gz") as tar:
        for member, data in project_files(name, "1.0", tag, requires or []).items():
            info = tarfile.TarInfo(f"{name}-1.0/{member}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def checkout(tmp_path: Path, requires: list[str]) -> Path:
    """A stand-in docscan checkout: its own build backend, the real bundle templates, two samples."""
    source = tmp_path / "checkout"
    for member, data in project_files("docscan", "9.9", "py3-none-any", requires).items():
        (source / member).parent.mkdir(parents=True, exist_ok=True)
        (source / member).write_bytes(data)
    shutil.copytree(ROOT / "tools" / "bundle", source / "tools" / "bundle")
    (source / "corpus" / "samples").mkdir(parents=True)
    (source / "corpus" / "samples" / "秘密★1年.txt").write_text("秘密★1年\n", encoding="utf-8")
    (source / "corpus" / "samples-expected.tsv").write_text("file\texpected_level\n", encoding="utf-8")
    return source


@pytest.fixture
def offline_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip sees only a local folder of sdists and a stand-in pip wheel: no index, no config file."""
    links = tmp_path / "links"
    links.mkdir()
    write_sdist(links, "fakepure")
    write_sdist(links, "fakewin")
    write_sdist(links, "fakebin", tag="cp311-cp311-linux_x86_64")
    write_wheel(links, "pip", "99.0")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    return links


def run(capsys: pytest.CaptureFixture[str], source: Path, out: Path, *extra: str) -> tuple[int, str]:
    """`docscan bundle ...` through the command's own parser and entry point: status and what it printed."""
    parser = argparse.ArgumentParser()
    bundle.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["bundle", "--out", str(out), "--source", str(source), "--python", "3.11", *extra])
    status = bundle.command(args)
    return status, capsys.readouterr().err


def test_bundle_of_sdist_only_and_windows_only_dependencies(tmp_path: Path, offline_pip: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    source = checkout(tmp_path, ["fakepure>=1", 'fakewin; platform_system == "Windows"'])
    out = tmp_path / "bundle"
    status, log = run(capsys, source, out)
    assert status == 0, log
    linux, windows = sorted(p.name for p in (out / "linux-x86_64").iterdir()), \
        sorted(p.name for p in (out / "windows-x86_64").iterdir())
    assert linux == ["docscan-9.9-py3-none-any.whl", "fakepure-1.0-py3-none-any.whl", "pip-99.0-py3-none-any.whl",
                     "requirements.txt"]
    assert windows == ["docscan-9.9-py3-none-any.whl", "fakepure-1.0-py3-none-any.whl",
                       "fakewin-1.0-py3-none-any.whl", "pip-99.0-py3-none-any.whl", "requirements.txt"]
    assert "fakepure>=1: PyPI 上只有源码包" in log and "platform-only dependencies): fakewin" in log
    assert "windows-x86_64: 4 个 wheel" in log and f"离线安装包已写入 {out}" in log
    manifest = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["docscan"] == "9.9" and manifest["python"] == "3.11" and manifest["source"] is None
    built = {w["name"]: w["built_here"] for w in manifest["platforms"]["windows-x86_64"]}
    assert built == {"docscan": False, "fakepure": True, "fakewin": True, "pip": False}
    check_requirements(out / "windows-x86_64")
    check_files(out)


def check_requirements(folder: Path) -> None:
    """Every wheel pinned with its own SHA-256 (pip's --require-hashes), nothing else."""
    pins = {}
    for line in (folder / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            spec, digest = line.split(" --hash=sha256:")
            pins[spec] = digest
    wheels = {f"{w.name}=={w.version}": bundle.sha256(w.path) for w in map(read_wheel, folder.glob("*.whl"))}
    assert pins == wheels


def check_files(out: Path) -> None:
    """SHA256SUMS covers every file; the scripts carry the pip wheel's name and the Python version."""
    done = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=out, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = {line.split("  ", 1)[1] for line in (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()}
    assert listed == {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert "samples/秘密★1年.txt" in listed and "samples-expected.tsv" in listed
    bat = (out / "install.bat").read_bytes()
    assert b"\r\n" in bat and b"\n" not in bat.replace(b"\r\n", b"")
    text = bat.decode("gbk")
    assert "windows-x86_64" in text and "pip-99.0-py3-none-any.whl\\pip" in text and "(3, 11)" in text
    assert "安装失败" in text and "@" not in text.replace("@echo off", "")
    # A double-byte character whose second byte reads as a cmd.exe metacharacter would break the script
    # wherever cmd does not decode GBK; none of the script's characters has one.
    assert not [ch for ch in set(text) if any(b in b'%^&|<>()"\\!' for b in ch.encode("gbk")[1:])]
    sh = (out / "install.sh").read_text(encoding="utf-8")
    assert "pip-99.0-py3-none-any.whl/pip" in sh and 'NEED="3.11"' in sh and (out / "install.sh").stat().st_mode & 0o111
    readme = (out / "README.txt").read_bytes()
    assert readme.startswith(b"\xef\xbb\xbf") and b"\r\n" in readme
    assert "64 位 Python 3.11" in readme.decode("utf-8-sig") and "@" not in readme.decode("utf-8-sig")


def test_dependency_that_only_builds_for_this_machine_stops_the_bundle(tmp_path: Path, offline_pip: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    source = checkout(tmp_path, ["fakepure", "fakebin"])
    status, message = run(capsys, source, tmp_path / "bundle", "--platform", "linux")
    assert status == 2
    assert "无法生成离线安装包 (cannot build the bundle): fakebin: PyPI 上没有适用于 linux-x86_64 的 wheel" in message
    assert "fakebin-1.0-cp311-cp311-linux_x86_64.whl" in message


def test_output_folder_is_new_or_an_earlier_bundle(tmp_path: Path) -> None:
    stranger = tmp_path / "documents"
    stranger.mkdir()
    (stranger / "报告.docx").write_bytes(b"x")
    with pytest.raises(bundle.BundleError, match="不是 docscan 离线安装包"):
        bundle._prepare_out(stranger)
    earlier = tmp_path / "earlier"
    for name in ("linux-x86_64/old.whl", "MANIFEST.json", "SHA256SUMS", "docscan-env/bin/docscan"):
        (earlier / name).parent.mkdir(parents=True, exist_ok=True)
        (earlier / name).write_text("x")
    bundle._prepare_out(earlier)
    assert [p.relative_to(earlier).as_posix() for p in earlier.rglob("*") if p.is_file()] == \
        ["docscan-env/bin/docscan"]  # an installed environment beside the bundle is left alone


def test_missing_checkout_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, message = run(capsys, tmp_path / "nowhere", tmp_path / "bundle")
    assert status == 2 and "pyproject.toml" in message and "--source" in message
    assert not (tmp_path / "bundle").exists()


def test_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    bundle.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["bundle", "--out", "x", "--platform", "windows", "--python", "3.12", "--cluster"])
    assert (args.platform, args.python, args.cluster) == (["windows"], (3, 12), True)
    with pytest.raises(SystemExit):
        parser.parse_args(["bundle", "--out", "x", "--python", "3"])
    assert "X.Y" in capsys.readouterr().err
