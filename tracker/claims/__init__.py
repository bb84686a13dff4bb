"""Claims of other sources: the claim record and its vocabularies (claim), reading one from text
(parse), and reading stored claims (queries); tracker.ingest.claim_revisions writes them.

UK Defence Intelligence, US officials, think tanks, newsrooms, Russia's defence ministry; the
comparison with the daily series lives in
`tracker.analysis.compare`.
"""

from tracker.claims.claim import DEFINITIONS, KINDS, QUALIFIERS, SUBJECTS, ClaimRecord

__all__ = ["ClaimRecord", "DEFINITIONS", "KINDS", "QUALIFIERS", "SUBJECTS"]
