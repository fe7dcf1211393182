"""The web pages' reads, each in one call: what a page shows, from the wings' own queries."""
