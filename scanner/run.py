"""One scan: walk -> (reuse what is known) -> workers -> sinks, with a progress display and the tally."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

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
from scanner.records import FileEntry, FileRecord
from scanner.tally import Tally

Sink = Callable[[FileEntry, list[dict[str, Any]]], None]


class History(Protocol):
    def known(self, entry: FileEntry) -> list[dict[str, Any]] | None:
        """The records to report for ``entry`` without reading it, or None to read it."""


def scan_paths(paths: Sequence[str], options: ScanOptions, sinks: Sequence[Sink],
               history: History | None = None) -> Tally:
    """Scan ``paths``, hand each file's records to every sink as it completes, and return the tally."""
    tally = Tally()
    with _progress(options.quiet) as progress:
        task = progress.add_task("扫描中", total=None)
        if not options.quiet:  # a second walk only to show a total and an ETA
            threading.Thread(target=_count, args=(paths, options, progress, task), daemon=True).start()

        def emit_json(entry: FileEntry, records: list[dict[str, Any]]) -> None:
            for sink in sinks:
                sink(entry, records)
            for record in records:
                tally.add(record)
            if not options.quiet:
                progress.advance(task)

        def emit(entry: FileEntry, records: list[FileRecord]) -> None:
            emit_json(entry, [r.to_json() for r in records])

        entries = walk.walk(paths, options.excludes)
        if history is not None:
            entries = _unknown(entries, history, emit_json)
        entries = _ready_to_read(entries, options)
        if options.cluster:
            from scanner import cluster  # distributed is imported only for a cluster scan

            cluster.run(entries, options, emit, options.cluster)
        else:
            workers.run(entries, options, emit)
    return tally


def _unknown(entries: Iterable[FileEntry], history: History,
             emit: Callable[[FileEntry, list[dict[str, Any]]], None]) -> Iterator[FileEntry]:
    """The entries that must be read; the others' known records are emitted at once."""
    for entry in entries:
        known = history.known(entry)
        if known is None:
            yield entry
        else:
            emit(entry, known)


def _ready_to_read(entries: Iterable[FileEntry], options: ScanOptions) -> Iterator[FileEntry]:
    """The entries, once the rules and the model have been loaded here in full before the first file is read.

    The command line only checks the model's files against its card (a rescan that reads nothing never
    pays for numpy or for compiling the rules); a model that passes that check but cannot be loaded (say,
    arrays that would need pickle) stops the scan here with ModelError, instead of failing in every worker.
    """
    for i, entry in enumerate(entries):
        if i == 0:
            _load(options)
        yield entry


def _load(options: ScanOptions) -> None:
    from markings.rule import load_rules
    from scanner.errors import ModelError, RuleError

    try:
        load_rules(options.rules_dir, options.rule_packs)
    except RuleError as exc:
        raise RuleError(f"规则文件错误 (rule error): {exc}") from exc
    if options.classify:
        from models.classify import shipped_or

        try:
            shipped_or(options.model)
        except ModelError as exc:
            raise ModelError(f"模型无法使用 (model error): {exc}") from exc


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
