"""Development helpers shared by tests/, bench/ and scripts/: a real headless Chromium,
signing in as the test users, the ``citywall`` command and its configs, a real WHEP
viewer. Not part of the product: the wheel leaves it out (pyproject's packages.find),
and it is imported from the checkout (the repo root on ``sys.path``)."""
