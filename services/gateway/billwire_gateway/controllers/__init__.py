"""Thin HTTP controllers: each route sends one command over the bus."""
