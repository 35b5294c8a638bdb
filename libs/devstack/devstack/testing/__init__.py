"""Session infrastructure for tests: the embedded PostgreSQL and broker, and the pytest plugin (`infra` fixture)
loaded in every Lontar test run."""
