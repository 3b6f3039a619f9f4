"""xl-perf (绩效自评助手): budget-performance self-evaluation workbooks that compute and check themselves.

Layers (see README; tests/test_layers.py keeps them acyclic): rules (packs, the formula language, PackView) -> engine
(scoring kernels) -> model (the data document and its evaluation) -> faces (template, validate, export, batch, excel,
report, foreign, cli), with io beneath the faces (the only place that imports file libraries) and errors, numbers and
findings beneath everything.
"""

__version__ = "0.1.0"
