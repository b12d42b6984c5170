"""Site: Jinja2 pages, SVG maps and charts, UI strings, what browser scripts read, and the MkDocs build."""
