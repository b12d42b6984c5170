"""Check: read the editors' files (strict YAML, positions kept), validate them with Frictionless
and the hub's rules, and report every problem from one catalogue."""
