"""Claims of other sources (UK Defence Intelligence, US officials, think tanks, news reports).

`records` defines a claim and its vocabularies, `validate` turns text into claims, `store`
writes them as revisions, `queries` reads them; the comparison with the daily series lives in
`tracker.analysis.compare`.
"""

from tracker.claims.claim import DEFINITIONS, KINDS, QUALIFIERS, SUBJECTS, ClaimRecord

__all__ = ["ClaimRecord", "DEFINITIONS", "KINDS", "QUALIFIERS", "SUBJECTS"]
