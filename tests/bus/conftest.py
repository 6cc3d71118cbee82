from tests.bus.nats_server import nats_server  # noqa: F401  (the fixture)
