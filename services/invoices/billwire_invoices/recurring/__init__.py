"""Recurring invoices: templates with a schedule that the scheduler issues exactly once per period."""
