"""Write a model into the workspace without ever leaving a half-written file there."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from lpot_core.adaptor import Adaptor


def save_atomically(adaptor: Adaptor, model: Any, workspace: Path, stem: str) -> Path:
    """Save through ``adaptor`` into a temp folder, then move each file into place."""
    workspace.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workspace, prefix=".saving-") as tmp:
        written = Path(adaptor.save(model, Path(tmp) / stem))
        final = workspace / written.name
        for item in sorted(Path(tmp).iterdir()):
            target = workspace / item.name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
    return final
