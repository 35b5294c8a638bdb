"""Test support shared by every service: settings on the session's servers, tokens, event and messaging helpers.
The servers themselves (PostgreSQL, broker) and the `infra` fixture come from `devstack.testing`."""
