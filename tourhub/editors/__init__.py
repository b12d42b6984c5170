"""Editors: new-file scaffolds, editor JSON Schemas and the editors' guide."""
