"""The life of an issued document (payments, cancel, copies, sends, the overdue and reminder
runs): offers `LifecycleHandlers` (handlers.py), `OverdueScheduler` (scheduler.py), the send
path a send and a reminder share (sending.py), and its pure `rules` and `sql`."""
