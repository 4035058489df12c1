"""A Python client for farpoint's REST API (the gateway), for internal consumers.

Typed with the very models the gateway serves (:mod:`farpoint.jobs.api` for responses,
:class:`~farpoint.jobs.spec.SelectionSpec` for a job), so a field the server adds or renames shows
up here too. Refusals come back as :class:`ApiError` (a :class:`~farpoint.errors.FarpointError`
with the HTTP status and the envelope's ``code``); 503 answers while polling are retried::

    from farpoint.client import Client

    with Client("http://127.0.0.1:8080", api_key=key) as fp:
        media = [fp.upload(p) for p in ["drive1.mp4", "drive2.mp4"]]
        job = fp.create_job(media_ids=[m.id for m in media], k=100)
        fp.wait(job)                        # a tqdm bar of the job's progress
        result = fp.result(job)             # picks with presigned frame URLs
        fp.export(job, "coco", "coco.json") # a labeling-tool export (farpoint.export.formats)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from farpoint.errors import FarpointError, InputError
from farpoint.jobs.api import (
    DatasetList,
    DatasetOut,
    Deleted,
    JobList,
    JobOut,
    MediaList,
    MediaOut,
    PresignOut,
    ResultOut,
)
from farpoint.jobs.spec import SelectionSpec

PRESIGNED_ABOVE = 64 * 1024 * 1024  # bytes: larger uploads go straight to the store
DONE = ("succeeded", "failed")

__all__ = ["ApiError", "Client", "JobFailedError"]


class ApiError(FarpointError):
    """The gateway refused a request: ``status`` (HTTP) and ``code`` from the error envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.http_status = status
        self.code = code
        self.exit_code = {404: 3, 503: 5}.get(status, 2 if 400 <= status < 500 else 1)
        self.retryable = status in (502, 503, 504)


class JobFailedError(FarpointError):
    """A job :meth:`Client.wait` waited for ended ``failed`` (``job`` holds its status)."""

    exit_code = 1

    def __init__(self, job: JobOut) -> None:
        super().__init__(f"job {job.id} failed: {job.error or 'no reason recorded'}")
        self.job = job


class Client:
    """One gateway, one API key (``None`` when the gateway runs without authentication)."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        timeout_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=url.rstrip("/"), headers=headers, timeout=timeout_s, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(503, "unreachable", f"{self._http.base_url}: {exc}") from exc
        if response.status_code >= 400:
            try:
                err = response.json()["error"]
                raise ApiError(response.status_code, str(err["code"]), str(err["message"]))
            except (ValueError, KeyError, TypeError):
                raise ApiError(response.status_code, "http", response.text[:200]) from None
        return response

    # -- media -----------------------------------------------------------------------------------
    def upload(
        self, path: str | Path, *, presigned: bool | None = None, dataset_id: str | None = None
    ) -> MediaOut:
        """Upload a video, image or archive; files over 64 MiB (or ``presigned=True``) are PUT
        straight to the store through a presigned URL, then registered. ``dataset_id``: the
        medium joins that dataset (which may start its automatic picks)."""
        p = Path(path)
        if not p.is_file():
            from farpoint.errors import NotFoundError

            raise NotFoundError(f"{p}: no such file")
        if presigned is None:
            presigned = p.stat().st_size > PRESIGNED_ABOVE
        if not presigned:
            params = {"dataset_id": dataset_id} if dataset_id is not None else None
            with p.open("rb") as f:
                r = self._request(
                    "POST",
                    "/v1/media",
                    files={"file": (p.name, f, "application/octet-stream")},
                    params=params,
                )
            return MediaOut.model_validate(r.json())
        slot = PresignOut.model_validate(
            self._request("POST", "/v1/media/uploads", json={"filename": p.name}).json()
        )
        with p.open("rb") as f:
            put = httpx.put(slot.upload_url, content=f, timeout=self._http.timeout)
        if put.status_code >= 400:
            raise ApiError(put.status_code, "upload", put.text[:200])
        r = self._request("POST", f"/v1/media/{slot.id}/complete", json={"filename": p.name})
        media = MediaOut.model_validate(r.json())
        if dataset_id is not None:
            self.add_to_dataset(dataset_id, [media.id])
        return media

    def import_media(self, uri: str) -> list[MediaOut]:
        """Reference the media at or under ``s3://bucket/prefix/`` instead of uploading them
        (only under a prefix the tenant may read; jobs stream them from the bucket)."""
        r = self._request("POST", "/v1/media/imports", json={"uri": uri})
        return MediaList.model_validate(r.json()).items

    def media(self, media_id: str) -> MediaOut:
        return MediaOut.model_validate(self._request("GET", f"/v1/media/{media_id}").json())

    def delete_media(self, media_id: str) -> Deleted:
        """Delete a medium (its bytes and record; it leaves the tenant's datasets)."""
        return Deleted.model_validate(self._request("DELETE", f"/v1/media/{media_id}").json())

    # -- datasets --------------------------------------------------------------------------------
    def create_dataset(
        self,
        name: str,
        media_ids: list[str] | None = None,
        auto: dict[str, Any] | None = None,
    ) -> DatasetOut:
        """A dataset (the same name again returns it, with ``media_ids`` added). ``auto``:
        ``{"per_media": N, "spec": {...}}``, N new picks per medium added from now on."""
        body: dict[str, Any] = {"name": name, "media_ids": list(media_ids or [])}
        if auto is not None:
            body["auto"] = auto
        return DatasetOut.model_validate(self._request("POST", "/v1/datasets", json=body).json())

    def set_auto_picks(self, dataset_id: str, auto: dict[str, Any] | None) -> DatasetOut:
        """Set (None: turn off) a dataset's automatic picks per medium added."""
        r = self._request("PATCH", f"/v1/datasets/{dataset_id}", json={"auto": auto})
        return DatasetOut.model_validate(r.json())

    def datasets(self) -> list[DatasetOut]:
        return DatasetList.model_validate(self._request("GET", "/v1/datasets").json()).items

    def dataset(self, dataset_id: str) -> DatasetOut:
        return DatasetOut.model_validate(self._request("GET", f"/v1/datasets/{dataset_id}").json())

    def add_to_dataset(self, dataset_id: str, media_ids: list[str]) -> DatasetOut:
        r = self._request("POST", f"/v1/datasets/{dataset_id}/media", json={"media_ids": media_ids})
        return DatasetOut.model_validate(r.json())

    def mark_labeled(self, dataset_id: str, job_id: str) -> DatasetOut:
        """Mark a succeeded job's picks as sent for labeling: later jobs on the dataset
        (``dataset_id=...``) pick around them."""
        r = self._request("POST", f"/v1/datasets/{dataset_id}/labeled", json={"job_id": job_id})
        return DatasetOut.model_validate(r.json())

    # -- jobs ------------------------------------------------------------------------------------
    def create_job(self, spec: SelectionSpec | None = None, **fields: Any) -> str:
        """Start a selection job (a :class:`SelectionSpec`, or its fields); return its id.
        The spec is validated here first, as the gateway will."""
        if spec is None:
            try:
                spec = SelectionSpec(**fields)
            except ValueError as exc:
                raise InputError(f"bad job spec: {exc}") from exc
        body = spec.model_dump(mode="json", exclude_none=True)
        return str(self._request("POST", "/v1/jobs", json=body).json()["id"])

    def job(self, job_id: str) -> JobOut:
        return JobOut.model_validate(self._request("GET", f"/v1/jobs/{job_id}").json())

    def jobs(self, page_size: int = 100) -> Iterator[JobOut]:
        """Every job of the tenant, oldest first (pages followed)."""
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page_size}
            if cursor:
                params["cursor"] = cursor
            page = JobList.model_validate(self._request("GET", "/v1/jobs", params=params).json())
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def delete_job(self, job_id: str) -> Deleted:
        """Delete a job's shards, vectors, results and record (cancelled first when active)."""
        return Deleted.model_validate(self._request("DELETE", f"/v1/jobs/{job_id}").json())

    def cancel(self, job_id: str) -> JobOut:
        return JobOut.model_validate(self._request("POST", f"/v1/jobs/{job_id}/cancel").json())

    def wait(
        self,
        job_id: str,
        *,
        timeout_s: float | None = None,
        poll_s: float = 0.5,
        progress: bool = True,
        raise_on_failure: bool = True,
    ) -> JobOut:
        """Poll until the job ends; a tqdm bar shows its progress (0-100 %) and stage.
        A failed job raises :class:`JobFailedError` (unless ``raise_on_failure=False``)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        bar = tqdm(total=100, desc=f"job {job_id}", unit="%", disable=not progress, leave=False)
        try:
            while True:
                try:
                    job = self.job(job_id)
                except ApiError as exc:
                    if not exc.retryable:
                        raise
                else:
                    bar.update(max(0, round(job.progress * 100) - bar.n))
                    bar.set_postfix_str(job.status)
                    if job.status in DONE:
                        break
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"job {job_id} not done after {timeout_s}s")
                time.sleep(poll_s)
        finally:
            bar.close()
        if job.status == "failed" and raise_on_failure:
            raise JobFailedError(job)
        return job

    def result(self, job_id: str) -> ResultOut:
        """The picks (presigned URLs of their full-size frames), manifest and report URLs."""
        return ResultOut.model_validate(self._request("GET", f"/v1/jobs/{job_id}/result").json())

    def export(
        self,
        job_id: str,
        fmt: str,
        dest: str | Path | None = None,
        *,
        urls: str = "presigned",
    ) -> bytes:
        """A labeling-tool export of the job (``coco``, ``label-studio``, ``cvat``, ``fiftyone``,
        ``csv``, ``json``); also written to ``dest`` when given. Returns its bytes."""
        r = self._request("GET", f"/v1/jobs/{job_id}/exports/{fmt}", params={"urls": urls})
        if dest is not None:
            Path(dest).write_bytes(r.content)
        return r.content

    def download_frames(self, job_id: str, folder: str | Path) -> list[Path]:
        """Fetch every picked frame into ``folder`` (``<rank>.jpg``); return the paths."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for item in self.result(job_id).items:
            if item.url is None:
                continue
            r = httpx.get(item.url, timeout=self._http.timeout)
            if r.status_code >= 400:
                raise ApiError(r.status_code, "download", f"frame of rank {item.rank}")
            path = out / f"{item.rank:05d}.jpg"
            path.write_bytes(r.content)
            paths.append(path)
        return paths

    def select(
        self, paths: list[str | Path], k: int, *, progress: bool = True, **fields: Any
    ) -> ResultOut:
        """Upload ``paths``, run a job picking ``k`` frames, wait, return its result."""
        ids = [self.upload(p).id for p in paths]
        job_id = self.create_job(media_ids=ids, k=k, **fields)
        self.wait(job_id, progress=progress)
        return self.result(job_id)
