"""The DuckDB warehouse: schema migrations, short writer transactions, bulk
loads and read-only access.  Only this package talks to DuckDB."""

from warehouse.store import Warehouse

__all__ = ["Warehouse"]
