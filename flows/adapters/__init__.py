"""The outside world behind small interfaces: HTTP, the raw archive, SMTP, the Prefect server, the clock."""
