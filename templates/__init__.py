"""Jinja2 templates of the documents advisor writes (installed as advisor.templates)."""
