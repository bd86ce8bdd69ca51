"""Roomcast."""
