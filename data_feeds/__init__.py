"""The city's live data: Redis streams, live state and KPIs. Knows nothing of Dash."""
