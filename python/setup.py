"""The optional C extension of the dlth package; everything else is in pyproject.toml.

``dlth._order`` (dlth/_order.c) computes the epoch order's hot loops (sfc32 draws, Fisher–Yates
windows) in C. It is optional: without a C compiler the build goes on without it, and dlth.rng
uses its pure-Python/numpy path, which gives the same orders (``DLTH_PURE_PYTHON=1`` forces it)."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("dlth._order", sources=["dlth/_order.c"], optional=True)])
