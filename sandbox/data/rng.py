"""The random source of every generated record: a cheap-to-seed generator per record."""

from __future__ import annotations

import random
from typing import Any


class FastRandom(random.Random):
    """`random.Random` API on a 64-bit LCG (seed mixed by splitmix64): seeding costs nothing,
    unlike the Mersenne Twister (~25 us per seed), and every record gets its own generator.
    Statistical quality is ample for synthetic data; this is not for cryptography."""

    _MASK = (1 << 64) - 1

    def seed(self, a: Any = None, version: int = 2) -> None:  # noqa: ARG002 - Random's signature
        z = (int(a or 0) + 0x9E3779B97F4A7C15) & self._MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self._MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self._MASK
        self._state = z ^ (z >> 31)

    def random(self) -> float:
        self._state = (self._state * 6364136223846793005 + 1442695040888963407) & self._MASK
        return (self._state >> 11) * (1.0 / 9007199254740992.0)

    def getrandbits(self, k: int) -> int:
        out, bits = 0, 0
        while bits < k:
            out = (out << 32) | int(self.random() * 4294967296.0)
            bits += 32
        return out >> (bits - k)

    def _randbelow(self, n: int) -> int:  # used by choice / sample / randrange / shuffle
        return int(self.random() * n)

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def getstate(self) -> Any:
        return self._state

    def setstate(self, state: Any) -> None:
        self._state = state


def record_rng(seed: int, salt: int, id_: int) -> random.Random:
    """The generator of one record: the organisation's seed, the entity's salt and the id."""
    return FastRandom((((seed & 0xFFFFFFFF) * 131 + salt) << 40) + id_)
