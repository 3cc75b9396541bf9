"""Startup hook directory that ``agentotel run`` puts first on ``PYTHONPATH``."""
