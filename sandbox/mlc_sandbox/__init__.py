"""The sandbox: simulators of the Basware P2P and IFS Cloud APIs (seed data, fault injection) and the demo.

Its own distribution (sandbox/pyproject.toml); the product never imports it.
"""
