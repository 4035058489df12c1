"""Where a model goes: a local path, or an ``s3://bucket/key`` URI (written locally first, then
uploaded at every checkpoint and at the end, loss curve included)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from farpoint.store.uri import is_s3_uri, parse_s3_object


@dataclass(frozen=True)
class ModelOutput:
    """``target`` as given; ``local`` is the file written (a temp file for an ``s3://`` URI)."""

    target: str
    local: Path

    @classmethod
    def of(cls, out: str | Path) -> ModelOutput:
        text = str(out)
        if is_s3_uri(text):
            _, key = parse_s3_object(text)
            tmp = Path(tempfile.mkdtemp(prefix="farpoint-train-"))
            return cls(text, tmp / Path(key).name)
        return cls(text, Path(text).expanduser())

    @property
    def remote(self) -> bool:
        return is_s3_uri(self.target)

    def publish(self, local: Path, target: str) -> None:
        """Upload ``local`` to ``target`` (an ``s3://`` URI); a no-op for local outputs."""
        if not self.remote:
            return
        from farpoint.settings import get_settings
        from farpoint.store.s3 import S3Store

        bucket, key = parse_s3_object(target)
        S3Store.from_settings(get_settings().s3, bucket=bucket).put_file(key, local)

    def result(self) -> Path | str:
        return self.target if self.remote else self.local
