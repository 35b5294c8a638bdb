"""Every error code the filing API can answer with, served for clients and PJAP."""
