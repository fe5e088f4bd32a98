"""The bundled worlds: the ``*.toml`` files of this folder, shipped as ``escalate.worlds``.

``pyproject.toml`` maps this folder (``configs/`` at the top of the repository) to
the package ``escalate.worlds``; this file makes it a regular package, which an
editable install (``pip install -e .``) needs to find it. The worlds are read with
:mod:`importlib.resources` by :mod:`escalate.model.bundled`, and loaded by name:
``escalate.load_world("europe_1914")``, ``escalate run europe_1914 ...``.
"""
