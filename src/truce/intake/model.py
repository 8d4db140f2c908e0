"""A small linear model, trained in the repository: multinomial logistic regression in numpy.

Its inputs are an article's words (word unigrams and bigrams of its first characters, hashed into a fixed
number of columns, presence only, the row scaled to unit length) next to a few dense features computed by
the rules (scores per label, the rules' own choice). Training is full-batch gradient descent with Adam
steps from zero weights and an L2 penalty: no randomness, so the same rows give the same weights.

Nothing here knows what the labels mean: `truce.intake.fakes` builds the dense features and the labels,
trains one model per field, and ships the weights (`scripts/train_intake.py`).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

HASH_BITS = 13  # 8,192 hashed columns
TEXT_CHARS = 1500  # the words of the title and the first characters of the body
_WORD = re.compile(r"\w+")


def hashed(text: str, bits: int = HASH_BITS) -> np.ndarray:
    """The article's word unigrams and bigrams hashed into 2**bits columns (crc32: the same in every
    process), 1 where present, scaled to unit length."""
    words = _WORD.findall(text.lower())
    grams = set(words)
    grams.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
    v = np.zeros(1 << bits, dtype=np.float64)
    mask = (1 << bits) - 1
    for g in grams:
        v[zlib.crc32(g.encode("utf-8")) & mask] = 1.0
    n = float(np.sqrt(v.sum()))
    return v / n if n else v


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class Softmax:
    """Weights (features x classes) and the class labels."""

    weights: np.ndarray
    labels: list[str]

    def proba(self, x: np.ndarray) -> np.ndarray:
        return _softmax(np.atleast_2d(x) @ self.weights)

    def predict(self, x: np.ndarray) -> list[str]:
        return [self.labels[int(i)] for i in self.proba(x).argmax(axis=1)]


def train(x: np.ndarray, y: list[str], labels: list[str], lam: float = 1e-3, steps: int = 300) -> Softmax:
    """Multinomial logistic regression by full-batch Adam (step 0.05) from zero weights, L2 penalty lam."""
    k = len(labels)
    target = np.zeros((len(y), k))
    target[np.arange(len(y)), [labels.index(v) for v in y]] = 1.0
    w = np.zeros((x.shape[1], k))
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    b1, b2, lr = 0.9, 0.999, 0.05
    for t in range(1, steps + 1):
        g = x.T @ (_softmax(x @ w) - target) / len(y) + lam * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-8)
    return Softmax(w.astype(np.float32).astype(np.float64), list(labels))
