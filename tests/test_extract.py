"""Archive extraction: formats by content, and members that would escape the target folder are refused."""
import io
import tarfile
import zipfile

import pytest

from src.prepare_data.extract import ArchiveError, archive_kind, extract


def _tar(path, members: dict[str, bytes], mode="w:gz"):
    with tarfile.open(path, mode) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


def test_tar_gz_and_plain_tar_extract(tmp_path):
    for mode, name in (("w:gz", "a.tar.gz"), ("w", "b.tar")):
        archive = _tar(tmp_path / name, {"rgb/x.mp4": b"123", "rgb/y.mp4": b"45"}, mode)
        assert archive_kind(archive) == "tar"
        out = extract(archive, tmp_path / name.split(".")[0])
        assert (out / "rgb" / "x.mp4").read_bytes() == b"123"


def test_kind_is_read_from_the_content_not_the_name(tmp_path):
    with zipfile.ZipFile(tmp_path / "download", "w") as z:  # Drive files arrive without a useful name
        z.writestr("a.txt", "x")
    assert archive_kind(tmp_path / "download") == "zip"
    (tmp_path / "r").write_bytes(b"Rar!\x1a\x07\x01\x00")
    assert archive_kind(tmp_path / "r") == "rar"
    (tmp_path / "junk").write_bytes(b"hello")
    with pytest.raises(ArchiveError, match="not a zip, tar or rar"):
        archive_kind(tmp_path / "junk")


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/tmp/evil.txt"])
def test_escaping_members_are_refused_before_anything_is_written(tmp_path, name):
    archive = _tar(tmp_path / "bad.tar.gz", {"ok.txt": b"fine", name: b"evil"})
    with pytest.raises(ArchiveError, match="escaping the target folder"):
        extract(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "ok.txt").exists() and not (tmp_path / "evil.txt").exists()
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as z:
        z.writestr("ok.txt", "fine")
        z.writestr(name, "evil")
    with pytest.raises(ArchiveError, match="escaping the target folder"):
        extract(tmp_path / "bad.zip", tmp_path / "out2")
