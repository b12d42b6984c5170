"""Bashu Travel Open Data Hub: validate the editors' datasets and build the site from them."""
