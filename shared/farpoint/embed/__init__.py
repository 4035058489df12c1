"""Embedders: frames -> vectors. See :mod:`farpoint.embed.base`."""

from farpoint.embed.base import DEFAULT_EMBEDDER, REGISTRY, Embedder, get_embedder

__all__ = ["DEFAULT_EMBEDDER", "REGISTRY", "Embedder", "get_embedder"]
