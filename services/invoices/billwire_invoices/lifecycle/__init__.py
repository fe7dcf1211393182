"""The life of an issued document (payments, cancel, copies, sends, overdue and reminder runs):
offers `LifecycleHandlers` and `LIFECYCLE_ROUTES` (handlers.py), `OverdueScheduler` (scheduler.py) and the
shared send path `reserve_quota` / `queue_send` / `release_quota` (sending.py)."""
