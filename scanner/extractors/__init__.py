"""The format registry: one module per format, tried in this order.

Each module has ``FORMAT`` (the contract's ``format`` value), ``sniff(probe) -> bool``
and ``extract(data, options) -> Iterator[TextBlock]``. Order is precedence: specific
container formats before generic ones, plain text (which accepts almost anything
readable) last.
"""

from scanner.extractors import (
    compressed,
    doc,
    docx,
    eml,
    html,
    image,
    msg,
    ofd,
    pdf,
    ppt,
    pptx,
    rar,
    rtf,
    sevenz,
    tar,
    txt,
    wps,
    xls,
    xlsx,
    ziparchive,
)

# Order is precedence. Office Open XML and OFD are zips: they come before the generic archives. OLE2 formats
# go by their streams; Kingsoft WPS comes before the Word/Excel/PowerPoint binaries it is also a valid instance
# of. Plain text accepts nearly any readable bytes, so it is last, after the text-based formats it would
# otherwise swallow (RTF, mail, HTML).
EXTRACTORS = (
    docx, xlsx, pptx, ofd,
    ziparchive, sevenz, rar, tar, compressed,
    msg, wps, doc, xls, ppt,
    pdf, image,
    rtf, eml, html,
    txt,
)
