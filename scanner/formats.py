"""What each detected format is usually called, and the finding for a file whose extension lies.

Renaming is a way of hiding (a .docx saved as .jpg or .dll): the content decides the
format, and a name that claims something else is reported as a `file` finding.
"""

from __future__ import annotations

import os

from scanner.records import Finding, FindingKind, Location

EXTENSIONS: dict[str, frozenset[str]] = {
    fmt: frozenset(exts.split())
    for fmt, exts in {
        "docx": ".docx .docm .dotx .dotm",
        "xlsx": ".xlsx .xlsm .xltx .xltm",
        "pptx": ".pptx .pptm .ppsx .ppsm .potx .potm",
        "pdf": ".pdf",
        "doc": ".doc .dot",
        "xls": ".xls .xlt",
        "ppt": ".ppt .pps .pot",
        "wps": ".wps .wpt .et .ett .dps .dpt .doc .xls .ppt",
        "ofd": ".ofd",
        "html": ".html .htm .xhtml .xht .shtml .mht .mhtml .xml",
        "rtf": ".rtf .doc",
        "eml": ".eml .mht .mhtml .txt",
        "msg": ".msg",
        "zip": ".zip .jar .apk",
        "7z": ".7z",
        "rar": ".rar",
        "tar": ".tar .tgz .tbz .tbz2 .txz .gz .bz2 .xz",
        "compressed": ".gz .bz2 .xz .z",
        "image": ".jpg .jpeg .jpe .png .tif .tiff .bmp .gif .webp",
    }.items()
}
KNOWN = frozenset().union(*EXTENSIONS.values())


def extension_mismatch(name: str, fmt: str) -> Finding | None:
    """A `file` finding when ``name``'s extension belongs to another format than ``fmt``.

    Plain text goes by countless extensions (.log, .csv, .ini, .py ...): it is only
    reported when its name claims a document format. Any other format is reported
    whenever its extension is not one of its own, a missing extension included.
    """
    ext = os.path.splitext(name)[1].lower()
    if fmt == "txt":
        lies = ext in KNOWN and ext not in EXTENSIONS["eml"]
    else:
        lies = fmt in EXTENSIONS and ext not in EXTENSIONS[fmt]
    if not lies:
        return None
    shown = ext or "（无扩展名）"
    return Finding(FindingKind.FILE, None, "extension-mismatch", shown, Location(part="filename"),
                   f"扩展名 {shown} 与实际格式 {fmt} 不符（按内容识别）", 1.0)
