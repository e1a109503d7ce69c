"""One scan: walk -> workers -> writers, with a progress display and the tally."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from scanner import walk, workers
from scanner.options import ScanOptions
from scanner.records import FileRecord
from scanner.tally import Tally

Sink = Callable[[FileRecord], None]


def scan_paths(paths: Sequence[str], options: ScanOptions, sinks: Sequence[Sink]) -> Tally:
    """Scan ``paths``, hand every record to each sink as it completes, and return the tally."""
    tally = Tally()
    with _progress(options.quiet) as progress:
        task = progress.add_task("扫描中", total=None)
        counter = threading.Thread(target=_count, args=(paths, options, progress, task), daemon=True)
        counter.start()

        def emit(record: FileRecord) -> None:
            for sink in sinks:
                sink(record)
            tally.add(record)
            progress.advance(task)

        workers.run(walk.walk(paths, options.excludes), options, emit)
    return tally


def _count(paths: Sequence[str], options: ScanOptions, progress: Progress, task: TaskID) -> None:
    """Count the files in a second, cheap walk so the display can show a total and an ETA."""
    total = sum(1 for _ in walk.walk(paths, options.excludes))
    progress.update(task, total=total)


class RateColumn(ProgressColumn):
    """Files per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} 个/秒" if speed else "")


def _progress(quiet: bool) -> Progress:
    console = Console(stderr=True)
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=False,
    )
