"""The packages to install: every ``cme_desktop`` package, and ``resources/`` inside it.

The rest of the configuration is in ``pyproject.toml``. This file exists because
``pyproject.toml`` cannot both find the packages (so a new one needs no edit here) and
install the top-level ``resources/`` folder as the package ``cme_desktop.resources``,
where ``importlib.resources`` finds it in an editable install and a wheel alike.
Folders count as packages without an ``__init__.py`` (``migrations/versions``, the
folders of ``resources/``), as Python imports them.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["cme_desktop", "cme_desktop.*"]),
        "cme_desktop.resources",
        *(f"cme_desktop.resources.{name}" for name in find_namespace_packages("resources")),
    ],
    package_dir={"cme_desktop.resources": "resources"},
)
