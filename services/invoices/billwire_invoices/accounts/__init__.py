"""An account (the gateway's key check, the profile, API keys, the logo): offers `AccountHandlers`,
`create_account` and `issue_api_key` (handlers.py), the accounts' `sql`, and `approvals/`: what an
API key's policy holds back until a person decides."""
