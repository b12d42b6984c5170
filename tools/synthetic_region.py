#!/usr/bin/env python3
"""Moved to bench/synthetic_region.py (issue 7). This shim keeps `python tools/synthetic_region.py ...`
working: it runs that module's main() with the same arguments."""
import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "bench_synthetic_region", Path(__file__).resolve().parent.parent / "bench" / "synthetic_region.py")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
main, generate, touch_one = _module.main, _module.generate, _module.touch_one

if __name__ == "__main__":
    sys.exit(main())
