"""The package version, in a module of its own so that any module can read it without importing the package."""

__version__ = "0.1.0"

#: The version of what the estimator returns for a given seed: the first 16 hex digits of the SHA-256 of
#: ``tests/data/pinned_outputs.json``, the bit-exact fingerprints of its outputs over every method and option.
#: A commit that changes outputs on purpose re-pins them and sets this value (``tests/test_pinned_outputs.py``
#: fails until the two agree). Benchmark stores key the cells of the package's samplers by it, so a result is
#: recomputed exactly when the rows it was computed from would change.
OUTPUT_VERSION = "e506445da2b07e18"
