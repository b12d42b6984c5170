"""Publish: what partners read by machine (downloads, datapackage.json, DCAT, CAP, Atom, history, schema.org)."""
