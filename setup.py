"""Which packages are installed; everything else about the build is declared in pyproject.toml."""

from setuptools import find_namespace_packages, setup

# Found, not listed: every folder of xl_perf/ is a package (rules/ has no __init__.py; rules/packs and excel/data hold
# package data only), so no new sub-package can be left out of what pip installs. vba_shim/ stays at the top of the
# repository and is mapped in as xl_perf.vba_shim by pyproject.toml's package-dir. setuptools runs this file from
# the project folder.
PACKAGES = find_namespace_packages(include=["xl_perf", "xl_perf.*"], exclude=["*.__pycache__"])

setup(packages=[*PACKAGES, "xl_perf.vba_shim"])
