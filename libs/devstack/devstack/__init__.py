"""Lontar's local stack: embedded PostgreSQL, the Kafka-protocol broker and the services, for `make run` and tests."""
