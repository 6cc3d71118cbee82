"""Loopback fakes of the venues the cockpit reads (binanceusdm, bybit, okx, gate, htx) and of alternative.me's
Fear & Greed API, speaking each venue's wire format so tests run the real ccxt code path without a network.

- ``cluster``: ``fake_venues(*names)`` starts them on 127.0.0.1; ``FakeVenues.exchange(venue)`` gives a ccxt
  instance pointed at its fake; ``watch_liquidations_after``; ``run``.
- ``harness``: ``with_fakes`` (sync pytest tests running async bodies), ``connected``, the ``loopback_only``
  autouse fixture.
- ``base``: ``FakeVenue`` (request log, faults, websocket plumbing); ``faults``: ``Fault``, the fault kinds;
  ``delivery``: the listener a fake tells what it wrote, dropped or served (for the soak run).
- one module per venue with its routes and builders of raw liquidation messages; ``fixtures`` reads the
  recorded payloads in tests/data.
"""
