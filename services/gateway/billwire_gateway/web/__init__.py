"""The web app for people: server-rendered pages on the same bus commands as the REST API."""
