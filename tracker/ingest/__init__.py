"""Ingest, the one write path: fetch (http), keep the raw payload (archive), read it strictly
(feeds/, values) into records (parsed), hold suspicious withdrawals, store revisions, judge them
(validation, rules) and record the run; bulk CSV and archived-snapshot backfills.
"""
