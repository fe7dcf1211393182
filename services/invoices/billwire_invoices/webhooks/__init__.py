"""Webhooks, a wing that brings its own background work: `attach()` (handlers.py) returns the
`WebhookRuntime` whose `handlers` the service subscribes and whose event feed, delivery worker
and directory it starts and stops; the `rules` sign deliveries, check targets and pace retries."""
