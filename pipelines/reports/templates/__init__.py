"""Report templates. A package (not a plain folder) so setuptools ships the ``*.j2`` files in wheels:
the ``package-data`` patterns of pyproject.toml apply to packages, not to their subfolders."""
