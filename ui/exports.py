"""Files the web app hands to download buttons, in one folder per process.

A folder per export (the first version) left one directory in /tmp for every
vote and every lessons search, never removed. Gradio copies a returned file
into its own cache at once, so ours can go after a few minutes.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import time
from pathlib import Path

KEEP_SECONDS = 600

_lock = threading.Lock()
_folder: Path | None = None


def export_folder() -> Path:
    """A fresh sub-folder for one export (its files keep their plain names), stale ones removed."""
    global _folder
    with _lock:
        if _folder is None:
            _folder = Path(tempfile.mkdtemp(prefix="ea-exports-"))
            atexit.register(shutil.rmtree, _folder, True)
        cutoff = time.time() - KEEP_SECONDS
        for old in _folder.iterdir():
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(dir=_folder))
