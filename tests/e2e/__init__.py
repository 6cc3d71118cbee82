"""End-to-end tests: the cockpit over a real SSH connection."""
