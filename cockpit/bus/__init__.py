"""A desk on NATS: the daemon publishes liquidations and snapshots on an existing broker, keeps the last
day of liquidations in a JetStream stream, and takes signed alarm changes; viewers attach through it
(``cockpit --attach nats://host:4222``). Imported only when ``[bus] url`` or ``--attach nats://`` asks
for it, so the cockpit runs without nats-py installed."""
