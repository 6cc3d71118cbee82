"""Market data sources: the built-in simulated market (``demo_market``) and, beside it, live venues.

Sources produce the typed events of ``cockpit.models``; nothing here imports Textual.
"""
