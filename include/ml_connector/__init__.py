"""ml-connector: Basware P2P -> IFS Cloud posting proposals, vendors and master data, on Airflow 3."""

__version__ = "0.1.0"
