"""Wheel tags per target and the marker-aware dependency closure (no pip, no network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.tags import Tag
from packaging.utils import parse_wheel_filename

from scanner import bundle_deps as deps
from tests.bundle.fake_backend import write_wheel

PY = (3, 11)
LINUX, WINDOWS = deps.linux((2, 28)), deps.windows()


def fits(filename: str, target: deps.Target, python: tuple[int, int] = PY) -> bool:
    return bool(parse_wheel_filename(filename)[3] & deps.supported_tags(target, python))


@pytest.mark.parametrize(("filename", "on_linux", "on_windows"), [
    ("numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", True, False),
    ("numpy-2.4.6-cp311-cp311-win_amd64.whl", False, True),
    ("cffi-2.1.1-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl", True, False),
    ("charset_normalizer-3.5.3-cp311-cp311-manylinux1_x86_64.manylinux_2_5_x86_64.whl", True, False),
    ("opencv_python-5.1.0.95-cp37-abi3-manylinux_2_28_x86_64.whl", True, False),
    ("opencv_python-5.1.0.95-cp37-abi3-win_amd64.whl", False, True),
    ("pypdfium2-5.15.2-py3-none-win_amd64.whl", False, True),
    ("jieba-0.42.1-py3-none-any.whl", True, True),
    ("six-1.17.0-py2.py3-none-any.whl", True, True),
    ("numpy-2.4.6-cp312-cp312-win_amd64.whl", False, False),  # another Python
    ("numpy-2.4.6-cp311-cp311-win32.whl", False, False),  # 32-bit Windows
    ("foo-1.0-cp311-cp311-manylinux_2_34_x86_64.whl", False, False),  # newer glibc than 2.28
    ("foo-1.0-cp311-cp311-musllinux_1_2_x86_64.whl", False, False),
    ("foo-1.0-cp311-cp311-linux_x86_64.whl", False, False),  # built here, not portable
    ("foo-1.0-cp311-cp311-manylinux_2_28_aarch64.whl", False, False),
])
def test_wheel_fits_the_target_platform_and_python(filename: str, on_linux: bool, on_windows: bool) -> None:
    assert (fits(filename, LINUX), fits(filename, WINDOWS)) == (on_linux, on_windows)


def test_glibc_floor_is_the_oldest_system_served() -> None:
    centos7 = deps.linux((2, 17))
    assert fits("cffi-2.1.1-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl", centos7)
    assert not fits("numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", centos7)
    assert centos7.platforms[0] == "manylinux_2_17_x86_64" and "manylinux2014_x86_64" in centos7.platforms
    assert "manylinux2014_x86_64" not in deps.linux((2, 12)).platforms
    with pytest.raises(ValueError):
        deps.linux((3, 1))


def test_python_version_is_the_target_not_this_interpreter() -> None:
    assert fits("numpy-2.4.6-cp312-cp312-win_amd64.whl", WINDOWS, (3, 12))
    assert not fits("numpy-2.4.6-cp311-cp311-win_amd64.whl", WINDOWS, (3, 12))
    assert Tag("cp312", "abi3", "win_amd64") in deps.supported_tags(WINDOWS, (3, 12))


def test_marker_environment_is_the_targets() -> None:
    win = deps.environment(WINDOWS, (3, 12), "3.11.7")
    assert (win["sys_platform"], win["platform_system"], win["os_name"]) == ("win32", "Windows", "nt")
    assert (win["python_version"], win["python_full_version"]) == ("3.12", "3.12.0")
    assert deps.environment(LINUX, PY, "3.11.7")["python_full_version"] == "3.11.7"


def folder_of(tmp_path: Path, specs: list[tuple[str, str, str, list[str]]]) -> list[deps.Wheel]:
    return [deps.read_wheel(write_wheel(tmp_path, name, version, tag, requires))
            for name, version, tag, requires in specs]


def test_closure_follows_markers_of_the_target_not_this_machine(tmp_path: Path) -> None:
    wheels = folder_of(tmp_path, [
        ("app", "1.0", "py3-none-any", ["tqdm", 'cluster-lib; extra == "cluster"']),
        ("tqdm", "4.0", "py3-none-any", ['colorama; platform_system == "Windows"']),
        ("pywin", "1.0", "cp311-cp311-win_amd64", []),
    ])
    env = deps.environment(WINDOWS, PY, "3.11.7")
    found = deps.closure(wheels, ["app==1.0"], env, deps.supported_tags(WINDOWS, PY))
    assert set(found.chosen) == {"app", "tqdm"}
    assert [str(r) for r in found.missing] == ["colorama"]
    on_linux = deps.closure(wheels, ["app==1.0"], deps.environment(LINUX, PY, "3.11.7"),
                            deps.supported_tags(LINUX, PY))
    assert set(on_linux.chosen) == {"app", "tqdm"} and not on_linux.missing


def test_closure_takes_extras_and_the_newest_fitting_version(tmp_path: Path) -> None:
    wheels = folder_of(tmp_path, [
        ("app", "1.0", "py3-none-any", ["lib>=1.0", 'cluster-lib[fast]; extra == "cluster"']),
        ("lib", "1.5", "py3-none-any", []),
        ("lib", "2.0", "py3-none-any", []),
        ("lib", "3.0", "cp311-cp311-win_amd64", []),  # newer, but not for Linux
        ("cluster-lib", "1.0", "py3-none-any", ['speedup; extra == "fast"', 'docs; extra == "docs"']),
        ("speedup", "1.0", "py3-none-any", []),
    ])
    env, accepted = deps.environment(LINUX, PY, "3.11.7"), deps.supported_tags(LINUX, PY)
    plain = deps.closure(wheels, ["app==1.0"], env, accepted)
    assert set(plain.chosen) == {"app", "lib"} and str(plain.chosen["lib"].version) == "2.0"
    full = deps.closure(wheels, ["app[cluster]==1.0"], env, accepted)
    assert set(full.chosen) == {"app", "lib", "cluster-lib", "speedup"} and not full.missing


def test_closure_reports_versions_it_cannot_satisfy(tmp_path: Path) -> None:
    wheels = folder_of(tmp_path, [
        ("app", "1.0", "py3-none-any", ["lib>=2", "other"]),
        ("other", "1.0", "py3-none-any", ["lib<2"]),
        ("lib", "2.0", "py3-none-any", []),
    ])
    found = deps.closure(wheels, ["app"], deps.environment(LINUX, PY, "3.11.7"), deps.supported_tags(LINUX, PY))
    assert [str(r) for r in found.missing] == ["lib<2"]


def test_read_wheel_takes_name_version_tags_and_requirements(tmp_path: Path) -> None:
    wheel = deps.read_wheel(write_wheel(tmp_path, "Fancy_Name", "1.2.3", "cp311-abi3-win_amd64", ["a>=1", "b"]))
    assert (wheel.name, str(wheel.version)) == ("fancy-name", "1.2.3")
    assert wheel.requires == ("a>=1", "b") and not wheel.pure
    assert deps.read_wheel(write_wheel(tmp_path, "p", "1", "py2.py3-none-any")).pure
