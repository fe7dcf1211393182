"""Webhooks, a wing that plugs itself in: `attach()` (handlers.py) registers its routes and returns
the `WebhookRuntime` (event feed, delivery worker, directory) the service starts and stops;
the pure `rules` sign deliveries, check targets and pace retries."""
