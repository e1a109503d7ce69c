"""Legacy binary Office files (.doc/.xls/.ppt) and WPS-like copies, converted by LibreOffice.

Only an office suite writes these formats, so generation (a developer step; the outputs are
committed) converts the DOCX/XLSX/PPTX the corpus builders made:

    soffice -env:UserInstallation=file://PROFILE --headless --convert-to doc|xls|ppt --outdir DIR SRC...

in a private profile whose registrymodifications.xcu turns thumbnails off (else a 600 KB
preview goes into every file). LibreOffice 7.4 writes the same bytes for the same input on every
run. WPS-like files (.wps/.et/.dps): the source carries the custom property
``KSOProductBuildVer`` that WPS Office writes, and after conversion the SummaryInformation gets
the application name ``WPS Office`` (olewriter.set_app_name); not real Kingsoft output, none can
be made here. Needs soffice (apt-get install libreoffice-writer-nogui libreoffice-calc-nogui
libreoffice-impress-nogui).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from olewriter import set_app_name

SOFFICE = "soffice"
KSO_BUILD = ("KSOProductBuildVer", "2052-11.1.0.12345")
TARGET = {".docx": "doc", ".xlsx": "xls", ".pptx": "ppt"}
WPS_EXT = {".docx": ".wps", ".xlsx": ".et", ".pptx": ".dps"}
NO_THUMBNAIL = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Common/Save/Document"><prop oor:name="GenerateThumbnail" oor:op="fuse">\
<value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Filter/Microsoft/Export"><prop oor:name="EnablePowerPointPreview" \
oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


class Converter:
    """Collects (source, destination) pairs, then converts them with one soffice run per target type."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Path, Path, bool]] = []  # source, destination, wps

    def add(self, source: Path, dest: Path, wps: bool = False) -> None:
        self.jobs.append((source, dest, wps))

    def run(self) -> None:
        if not self.jobs:
            return
        if shutil.which(SOFFICE) is None:
            raise SystemExit("make_labelled: soffice not found; the legacy .doc/.xls/.ppt/.wps files are made "
                             "with LibreOffice (apt-get install libreoffice-writer-nogui libreoffice-calc-nogui "
                             "libreoffice-impress-nogui)")
        with tempfile.TemporaryDirectory(prefix="corpus-soffice-") as tmp:
            root = Path(tmp)
            (root / "profile" / "user").mkdir(parents=True)
            (root / "profile" / "user" / "registrymodifications.xcu").write_text(NO_THUMBNAIL)
            for suffix, target in TARGET.items():
                batch = [(src, dst, wps) for src, dst, wps in self.jobs if src.suffix == suffix]
                if batch:
                    self._convert(root, target, batch)

    @staticmethod
    def _convert(root: Path, target: str, batch: list[tuple[Path, Path, bool]]) -> None:
        inbox, outbox = root / f"in-{target}", root / f"out-{target}"
        inbox.mkdir()
        names = []
        for n, (src, _, _) in enumerate(batch):  # ASCII names: soffice's command line is safest so
            name = inbox / f"f{n:03d}{src.suffix}"
            shutil.copyfile(src, name)
            names.append(str(name))
        cmd = [SOFFICE, f"-env:UserInstallation=file://{root / 'profile'}", "--headless", "--convert-to",
               target, "--outdir", str(outbox), *names]
        subprocess.run(cmd, check=True, capture_output=True, timeout=600)
        for n, (_, dst, wps) in enumerate(batch):
            made = outbox / f"f{n:03d}.{target}"
            if not made.is_file():
                raise SystemExit(f"make_labelled: soffice did not convert {batch[n][0]} to {target}")
            shutil.move(made, dst)
            if wps:
                set_app_name(dst, "WPS Office")
