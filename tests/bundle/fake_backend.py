"""A self-contained PEP 517 build backend for made-up packages, and the wheel writer it uses.

Copied into a project folder next to a fake.json ({"name", "version", "tag", "requires"}), it lets pip
build that project with no index and no setuptools: the bundle tests make "sdist-only" packages (pure or
platform-specific) and a stand-in docscan checkout from it. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path


def metadata(name: str, version: str, requires: list[str]) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n"


def write_wheel(folder: Path | str, name: str, version: str, tag: str = "py3-none-any",
                requires: list[str] | None = None) -> Path:
    """A minimal valid wheel: one empty module, METADATA with Requires-Dist, WHEEL and RECORD."""
    module = name.replace("-", "_")
    dist = f"{module}-{version}.dist-info"
    pure = tag.endswith("-none-any")
    files = {
        f"{module}/__init__.py": b"",
        f"{dist}/METADATA": metadata(name, version, requires or []).encode(),
        f"{dist}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: fake\nRoot-Is-Purelib: {str(pure).lower()}\n"
                          f"Tag: {tag}\n").encode(),
    }
    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in files.items()] + [f"{dist}/RECORD,,"]
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = Path(folder) / f"{module}-{version}-{tag}.whl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    return path


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _config() -> dict:
    return json.loads(Path("fake.json").read_text(encoding="utf-8"))


# --- PEP 517 hooks (pip runs them with the project folder as the working directory) ---

def get_requires_for_build_wheel(config_settings: dict | None = None) -> list[str]:
    return []


def build_wheel(wheel_directory: str, config_settings: dict | None = None,
                metadata_directory: str | None = None) -> str:
    c = _config()
    return write_wheel(wheel_directory, c["name"], c["version"], c.get("tag", "py3-none-any"),
                       c.get("requires", [])).name
