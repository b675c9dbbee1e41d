"""OpenSPC webhook notifier: configured endpoints receive signed JSON events, retried with
exponential backoff, with a delivery log (see README.md)."""
