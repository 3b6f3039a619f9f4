"""xl-perf (绩效自评助手): budget-performance self-evaluation workbooks that compute and check themselves.

Layers (see README): rule packs (data) -> engine (pure Python) -> faces (CLI, UDFs, templates, validator, exporter)
-> I/O layer (the only place that imports spreadsheet libraries).
"""

__version__ = "0.1.0"
