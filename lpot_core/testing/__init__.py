"""Test support for lpot and its plugin authors.

- :mod:`lpot_core.testing.numpy_adaptor`: a small, real reference backend (numpy, INT8).
- :mod:`lpot_core.testing.models`: model factories (quantization-sensitive layers, big spaces).
- :mod:`lpot_core.testing.driver`: dataloader/metric helpers and a minimal tuning loop.
- :mod:`lpot_core.testing.contracts`: pytest suites adaptor and strategy plugins subclass
  (the only module here that imports pytest).
"""

from __future__ import annotations
