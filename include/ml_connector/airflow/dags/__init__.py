"""One module per kind of tenant DAG (invoices now; vendors and master data next), plus what they share."""
