"""Containers that keep most of a long archive's model pickled until something reads it.

A day's rebuild of a long archive touches a few dozen of its tens of thousands
of papers and days.  The build cache (digest.cache) keeps each paper and day
of the model pickled on its own; these read-only containers unpickle one only
when it is read, so the untouched rest of the archive costs next to nothing to
load, and its pickled bytes are saved again as they are.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping, Sequence
from typing import Any


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class StoredMapping(Mapping):
    """A mapping of pickled values, in the order of ``blobs``; each is unpickled when first read."""

    def __init__(self, blobs: dict[Any, bytes]):
        self.blobs = blobs
        self._values: dict[Any, Any] = {}

    def __getitem__(self, key: Any) -> Any:
        try:
            return self._values[key]
        except KeyError:
            value = self._values[key] = pickle.loads(self.blobs[key])
            return value

    def __contains__(self, key: object) -> bool:
        return key in self.blobs

    def __iter__(self) -> Iterator[Any]:
        return iter(self.blobs)

    def __len__(self) -> int:
        return len(self.blobs)


class Overlay(Mapping):
    """``base`` with some values added or replaced (``changed``), in key order."""

    def __init__(self, base: Mapping, changed: dict[Any, Any]):
        self.base, self.changed = base, changed
        self._order = sorted({*base, *changed})

    def __getitem__(self, key: Any) -> Any:
        if key in self.changed:
            return self.changed[key]
        return self.base[key]

    def __contains__(self, key: object) -> bool:
        return key in self.changed or key in self.base

    def __iter__(self) -> Iterator[Any]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)


class StoredSequence(Sequence):
    """A sequence of pickled values; each is unpickled when first read."""

    def __init__(self, blobs: list[bytes]):
        self.blobs = blobs
        self._values: dict[int, Any] = {}

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self.blobs))))
        if index < 0:
            index += len(self.blobs)
        try:
            return self._values[index]
        except KeyError:
            value = self._values[index] = pickle.loads(self.blobs[index])  # IndexError past the end
            return value

    def __len__(self) -> int:
        return len(self.blobs)


class Joined(Sequence):
    """``base`` followed by ``extra``."""

    def __init__(self, base: Sequence, extra: Sequence):
        self.base, self.extra = base, tuple(extra)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if index < 0:
            raise IndexError(index)
        return self.base[index] if index < len(self.base) else self.extra[index - len(self.base)]

    def __len__(self) -> int:
        return len(self.base) + len(self.extra)


def mapping_blobs(values: Mapping) -> dict[Any, bytes]:
    """The pickled values of a mapping, in its order: bytes already pickled are not made again."""
    if isinstance(values, StoredMapping):
        return values.blobs
    if isinstance(values, Overlay):
        base = mapping_blobs(values.base)
        return {key: dumps(values.changed[key]) if key in values.changed else base[key] for key in values}
    return {key: dumps(value) for key, value in values.items()}


def sequence_blobs(values: Sequence) -> list[bytes]:
    """The pickled items of a sequence: bytes already pickled are not made again."""
    if isinstance(values, StoredSequence):
        return values.blobs
    if isinstance(values, Joined):
        return [*sequence_blobs(values.base), *(dumps(value) for value in values.extra)]
    return [dumps(value) for value in values]
