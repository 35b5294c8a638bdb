"""Local sandboxes of the outside world notification talks to: an SMTP server and SMS provider APIs that keep what
they receive, readable over HTTP, and that can be told to be slow, fail, reject or drop. `python -m sandbox`."""
