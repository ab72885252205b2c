"""Packing a bundle folder as the gzip tar ``POST /api/v1/bundles`` takes."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Iterator


def parquet_only(bundle: Path) -> bool:
    """Whether every observation file of the manifest is Parquet (already compressed)."""
    try:
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        files = manifest["files"]
        return bool(files) and all(
            (f.get("format") or ("parquet" if str(f["path"]).endswith(".parquet") else "")) == "parquet" for f in files
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False  # the server says what is wrong with the manifest


def _portable(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """No owner names or ids of this machine in the archive."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def pack(bundle: Path, archive: Path) -> None:
    """Writes the folder's files (links followed) into ``archive`` at its root.

    A Parquet-only bundle is stored (gzip level 0: Parquet is compressed already, so deflating it
    again would only cost time); other formats get the fast level 1.
    """
    if not (bundle / "manifest.json").is_file():
        raise FileNotFoundError(f"{bundle} is not a bundle: it has no manifest.json")
    level = 0 if parquet_only(bundle) else 1
    with tarfile.open(archive, "w:gz", compresslevel=level, dereference=True) as tar:
        for path in sorted(bundle.rglob("*")):
            if path.is_file() or path.is_dir():
                tar.add(path, arcname=path.relative_to(bundle).as_posix(), recursive=False, filter=_portable)


def chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    """The file's bytes in chunks of ``size``."""
    with open(path, "rb") as f:
        while True:
            block = f.read(size)
            if not block:
                return
            yield block
