"""The store: models, opening and migrating it, revisions, and queries."""
