"""Shared by every stage: time zones and partial dates, coordinate systems, atomic writes, a site file."""
