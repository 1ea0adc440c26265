"""The tuning history: versioned JSON lines, appended and fsynced per trial.

Line 1 is a header naming the format version and the run's fingerprint (model,
outcome-changing config fields, data). Every later line is one trial. A process
killed mid-write leaves at most one truncated last line, which is dropped on read; any
other unreadable line (a damaged disk, an editor) is skipped with a warning and that
trial evaluated again.
A resumed run replays recorded trials by config key instead of evaluating them.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import IO, Any

from lpot_core.errors import HistoryError
from lpot_core.result import Trial

log = logging.getLogger(__name__)

VERSION = 1
FILENAME = "history.jsonl"


class History:
    """Recorded trials of one tuning run, by config key, and the file they go to."""

    def __init__(
        self, path: Path, fingerprint: dict[str, str], resume_from: Path | None = None
    ) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.recorded: dict[str, Trial] = {}
        self._file: IO[str] | None = None
        source = resume_from or path
        if resume_from is not None and not resume_from.is_file():
            raise HistoryError(
                f"tuning.workspace.resume: no history file at {resume_from}; "
                "point it at an earlier run's history.jsonl or remove it"
            )
        if source.is_file():
            self._load(source, explicit=resume_from is not None)
        if resume_from is not None and resume_from.resolve() != path.resolve():
            self._rewrite()

    # -- reading ---------------------------------------------------------------
    def _load(self, source: Path, explicit: bool) -> None:
        data = source.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a record cut short by a crash: drop it, so appends stay clean
            log.warning("history %s: dropping a record cut short by a crash", source)
            if source.resolve() == self.path.resolve():
                with source.open("r+b") as f:
                    f.truncate(end)
            data = data[:end]
        lines = data.decode("utf-8", errors="replace").splitlines()
        try:
            header = json.loads(lines[0]) if lines else {}
        except json.JSONDecodeError:
            header = {}
        if header.get("lpot_history") != VERSION:
            self._mismatch(
                source,
                explicit,
                "it is not an lpot history (version "
                f"{header.get('lpot_history')!r}, expected {VERSION})",
            )
            return
        differs = [
            k for k, v in self.fingerprint.items() if header.get("fingerprint", {}).get(k) != v
        ]
        if differs:
            self._mismatch(
                source, explicit, f"it was recorded for a different {' and '.join(differs)}"
            )
            return
        damaged = []
        for number, line in enumerate(lines[1:], start=2):
            try:
                trial = Trial.from_dict(json.loads(line))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                damaged.append(number)
                continue
            self.recorded[trial.key] = trial
        if damaged:
            # Nothing else is lost: the readable trials replay, the damaged ones are
            # evaluated again, and this run's file is rewritten without them.
            log.warning(
                "history %s: skipped %d unreadable trial record(s) (line %s); those "
                "trials will be evaluated again",
                source,
                len(damaged),
                ", ".join(map(str, damaged[:5])) + (" ..." if len(damaged) > 5 else ""),
            )
            if source.resolve() == self.path.resolve():
                self._rewrite(header)
        tuned = sum(1 for t in self.recorded.values() if t.config is not None)
        log.info(
            "resuming from %s: %d recorded trials%s",
            source,
            tuned,
            " and the FP32 baseline" if tuned < len(self.recorded) else "",
        )

    def _mismatch(self, source: Path, explicit: bool, why: str) -> None:
        if explicit:
            raise HistoryError(
                f"cannot resume from {source}: {why}; remove "
                "tuning.workspace.resume to start a fresh run"
            )
        aside = source.with_name(f"history-{time.strftime('%Y%m%d-%H%M%S')}.jsonl")
        source.rename(aside)
        log.warning(
            "history %s not resumed (%s); kept it as %s and starting fresh", source, why, aside.name
        )

    # -- writing ---------------------------------------------------------------
    def _open(self) -> IO[str]:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not self.path.exists() or self.path.stat().st_size == 0
            self._file = self.path.open("a", encoding="utf-8")
            if fresh:
                self._write(
                    {
                        "lpot_history": VERSION,
                        "fingerprint": self.fingerprint,
                        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    }
                )
        return self._file

    def _write(self, record: dict[str, Any]) -> None:
        assert self._file is not None
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def _rewrite(self, header: dict[str, Any] | None = None) -> None:
        """Write the readable recorded trials to this run's file, atomically (an explicitly
        resumed history, or this run's own history without its damaged lines)."""
        tmp = self.path.with_suffix(".tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        header = header or {"lpot_history": VERSION, "fingerprint": self.fingerprint}
        with tmp.open("w", encoding="utf-8") as f:
            f.write(json.dumps(header) + "\n")
            for trial in self.recorded.values():
                f.write(json.dumps(trial.to_dict()) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def append(self, trial: Trial) -> None:
        """Record ``trial`` durably before anything else happens."""
        self._open()
        self._write(trial.to_dict())
        self.recorded[trial.key] = trial

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
