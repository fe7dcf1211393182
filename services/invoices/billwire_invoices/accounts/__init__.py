"""An account (the gateway's key check, the profile, API keys, the logo): offers `AccountHandlers`,
`create_account` and `issue_api_key` (handlers.py), and the accounts' `sql`."""
