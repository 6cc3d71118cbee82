"""cockpit: a terminal trading cockpit for crypto-derivatives traders."""

__version__ = "0.1.0"
