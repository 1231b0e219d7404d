"""tqdm bars for the backup commands, one per step, drawn on stderr."""

from __future__ import annotations

from typing import Any

from tqdm import tqdm


class Bars:
    def __init__(self, stream: Any) -> None:  # a command's OutputWrapper or a text stream
        self.stream = stream
        self.bars: dict[str, tqdm[Any]] = {}

    def step(self, name: str, done: int, total: int) -> None:
        bar = self.bars.get(name)
        if bar is None:
            unit = " tables" if name in ("figures", "dumping") else " items"
            bar = self.bars[name] = tqdm(total=total, desc=f"{name:>9}", unit=unit, file=self.stream, leave=True)
        bar.total = max(total, 1)
        bar.update(max(done - bar.n, 0))

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
