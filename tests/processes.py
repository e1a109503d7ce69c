"""Finding this test's own child processes in /proc (to kill a worker the way a crash would)."""

import os


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    stat = fh.read()
                children.setdefault(int(stat[stat.rindex(b")") + 2:].split()[1]), []).append(int(name))
            except (OSError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def has_open(pid: int, path: str) -> bool:
    """True while process ``pid`` holds ``path`` open."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == path for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False
