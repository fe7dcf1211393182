"""Users of an account: people who sign in to the web app with e-mail and password, and their roles."""
