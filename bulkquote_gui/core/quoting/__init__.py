"""Quoting: the seam to a quote provider (provider.py) and the one place a client is built
(factory.py). A provider's adapter lives beside the seam; Momentum's is core/quoting/momentum.py."""
