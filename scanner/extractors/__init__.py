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
    pptx,
    rar,
    rtf,
    sevenz,
    tar,
    txt,
    xlsx,
    ziparchive,
)

EXTRACTORS = (docx, xlsx, pptx, ofd, ziparchive, sevenz, rar, tar, compressed, msg, doc, pdf, image, rtf, eml, html, txt)
