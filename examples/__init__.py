"""Runnable examples of Burrow services."""
