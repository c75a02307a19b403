"""Private uploads: files kept outside ``static/`` under random names, one folder per kind."""
from __future__ import annotations

import secrets
from pathlib import Path


def private_path(root: str, folder: str, name: str) -> Path:
    """The path of a stored file; refuses names that could leave the folder (FileNotFoundError)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise FileNotFoundError(name)
    return Path(root) / folder / name


def store_private(root: str, folder: str, data: bytes, suffix: str) -> str:
    """Write ``data`` under a new random name in ``root``/``folder`` and return the name. Written to a
    temporary file first and renamed, so that a crash never leaves half a file under the real name."""
    directory = Path(root) / folder
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{suffix}"
    tmp = directory / (name + ".part")
    tmp.write_bytes(data)
    tmp.replace(directory / name)
    return name
