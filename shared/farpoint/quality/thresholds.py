"""The filter's settings: its off switch, its thresholds and which tests run on what.

One model, read by ``farpoint select`` (``--quality-filter/--no-quality-filter``,
``--quality-threshold NAME=VALUE``), the Python API (``farpoint.select(..., quality_filter=...)``)
and REST jobs (the ``quality_filter`` field of the job spec). Each default comes from measurements
on real footage (docs/quality.md, "Frame-quality filter"): on every real video and image
checked, no frame came within about 1.5x of a threshold, while the synthetic junk made from those
frames falls well past it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from farpoint.errors import InputError

Check = Literal["dark", "bright", "uniform", "blurred", "frozen"]
CHECKS: tuple[Check, ...] = ("dark", "bright", "uniform", "blurred", "frozen")


class QualitySettings(BaseModel):
    """Which frames the quality filter drops (all measures at the ~100 px analysis scale)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        True, strict=True, description="off switch: false keeps every decoded frame"
    )
    dark_luma: float = Field(
        40.0,
        ge=0,
        le=255,
        description="dark (black or under-exposed): under 1% of pixels reach this luma, i.e. "
        "the 99th luma percentile is below it (real frames: >= 148)",
    )
    bright_luma: float = Field(
        215.0,
        ge=0,
        le=255,
        description="bright (white or over-exposed): under 1% of pixels fall to this luma, "
        "i.e. the 1st luma percentile is above it (real frames: <= 83)",
    )
    uniform_std: float = Field(
        8.0, ge=0, description="uniform (flat): luma standard deviation below this (real: >= 26)"
    )
    blur_sharpness: float = Field(
        0.03,
        ge=0,
        description="blurred: Laplacian variance / luma variance below this (real: >= 0.066)",
    )
    frozen_change: float = Field(
        0.08,
        ge=0,
        description="frozen: mean absolute luma change from the previous frame of the same "
        "video below this (real: >= 0.10)",
    )
    video_checks: list[Check] = Field(
        default_factory=lambda: list(CHECKS), description="tests run on video frames"
    )
    image_checks: list[Check] = Field(
        default_factory=lambda: list[Check](["uniform"]),
        description="tests run on still images (default: only blank images are dropped)",
    )


EXPOSURE_SHARE = 0.01  # the "1%" of the dark and bright tests
THRESHOLDS = ("dark_luma", "bright_luma", "uniform_std", "blur_sharpness", "frozen_change")


def as_quality_settings(value: bool | dict[str, Any] | QualitySettings | None) -> QualitySettings:
    """``True``/None -> the defaults, ``False`` -> off, a dict -> validated settings."""
    if isinstance(value, QualitySettings):
        return value
    if value is None or value is True:
        return QualitySettings()
    if value is False:
        return QualitySettings(enabled=False)
    if isinstance(value, dict):
        try:
            return QualitySettings(**value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise InputError(f"quality filter setting {where}: {first['msg']}") from None
    raise TypeError(f"quality_filter must be a bool, a dict or QualitySettings, not {value!r}")
