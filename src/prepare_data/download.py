"""Downloads that survive interruptions: HTTP with Range resume and retries, Google Drive through gdown.

A download is written to ``<name>.part`` next to its target and renamed only once its size (and checksum,
where one is known) has been verified, so an existing target is always complete.
"""
import hashlib
import http.client
import os
import socket
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import gdown

from ..utils.atomic import user_umask
from ..utils.progress import progress

CHUNK = 1 << 20
RETRIES = 5
TIMEOUT = 60


class DownloadError(ValueError):
    """A source that could not be fetched or verified."""


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _open(url: str, start: int, verify_tls: bool):
    request = urllib.request.Request(url, headers={"User-Agent": "fractal-video", **(
        {"Range": f"bytes={start}-"} if start else {})})
    context = None if verify_tls else ssl._create_unverified_context()
    return urllib.request.urlopen(request, timeout=TIMEOUT, context=context)


def _total_size(response, start: int) -> int | None:
    """Full size of the file from Content-Range (resumed) or Content-Length (fresh)."""
    if response.status == 206:
        content_range = response.headers.get("Content-Range", "")
        return int(content_range.rsplit("/", 1)[1]) if "/" in content_range and not content_range.endswith("*") else None
    length = response.headers.get("Content-Length")
    return int(length) if length is not None else None


def _fetch_once(url: str, part: Path, verify_tls: bool) -> int | None:
    """Append the rest of ``url`` to ``part``; returns the announced full size."""
    start = part.stat().st_size if part.exists() else 0
    with _open(url, start, verify_tls) as response:
        if start and response.status != 206:  # the server ignores Range: start over
            start = 0
        total = _total_size(response, start)
        with open(part, "ab" if start else "wb") as f, progress(
                total=total, initial=start, unit="B", unit_scale=True, desc=part.name.removesuffix(".part")) as bar:
            for block in iter(lambda: response.read(CHUNK), b""):
                f.write(block)
                bar.update(len(block))
    return total


def http_download(url: str, target: Path, md5: str | None = None, verify_tls: bool = True,
                  retries: int = RETRIES) -> Path:
    """Fetch ``url`` to ``target`` (kept if already there), resuming a partial file and retrying failures."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    total = None
    for attempt in range(retries + 1):
        try:
            total = _fetch_once(url, part, verify_tls)
            size = part.stat().st_size
            if total is not None and size < total:
                raise DownloadError(f"connection closed at {size} of {total} bytes")
            break
        except urllib.error.HTTPError as e:
            if e.code == 416:  # nothing left to fetch: the partial file is already whole
                break
            if e.code < 500 or attempt == retries:
                raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError, DownloadError) as e:
            if isinstance(getattr(e, "reason", None), socket.gaierror):  # no name service: retrying cannot help
                raise DownloadError(f"{url}: cannot resolve {urllib.parse.urlparse(url).hostname} (offline?); "
                                    "download the archives elsewhere and pass their folder with --source, or serve "
                                    "them with --mirror") from None
            if attempt == retries:
                raise DownloadError(f"{url}: {getattr(e, 'reason', e)} (after {retries + 1} attempts; "
                                    "run again to resume)") from None
            print(f"download of {url} failed ({getattr(e, 'reason', e)}); retrying in {min(30, 2 ** attempt)} s",
                  file=sys.stderr, flush=True)
        time.sleep(min(30, 2 ** attempt))
    if total is not None and part.stat().st_size != total:
        part.unlink()
        raise DownloadError(f"{url}: got {part.stat().st_size} bytes, expected {total}; deleted, run again")
    if md5 and _md5(part) != md5:
        part.unlink()
        raise DownloadError(f"{url}: checksum mismatch (md5 {md5} expected); deleted the file, run again")
    os.replace(part, target)
    return target


def drive_download(file_id: str, target: Path, mirror: str | None = None, retries: int = RETRIES) -> Path:
    """Fetch a Google Drive file with gdown (resumable ``.part`` file); ``mirror`` serves ids as ``<mirror>/<id>``."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    url = f"{mirror.rstrip('/')}/{file_id}" if mirror else None
    try:
        out = gdown.download(url=url, id=None if url else file_id, output=str(target), resume=True,
                             retries=retries, quiet=False)
    except Exception as e:  # gdown raises several types (FileURLRetrievalError, requests errors, ...)
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        offline = any(w in reason for w in ("Name or service not known", "Temporary failure in name resolution",
                                            "Failed to resolve", "NameResolutionError", "Max retries exceeded"))
        hint = ("this machine cannot reach Google Drive: download the file elsewhere and pass its folder with "
                "--source, or serve it with --mirror" if offline else
                "run again to resume; Drive may also be rate-limiting this file")
        raise DownloadError(f"Google Drive file {file_id}: {reason} ({hint})") from None
    if out is None or not target.exists():
        raise DownloadError(f"Google Drive file {file_id} could not be downloaded; run again to resume")
    os.chmod(target, 0o666 & ~user_umask())  # gdown leaves its temp file's 0600; every other file has the umask
    return target
