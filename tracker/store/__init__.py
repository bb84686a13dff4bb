"""The store: its tables (SQLAlchemy Core), opening and migrating it, revisions and bulk writes,
queries, runs' reports, the source registry and the writer lock.
"""
