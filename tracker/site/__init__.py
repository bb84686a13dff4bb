"""The newsroom page: a static site of the headline, records, claims and charts, published whole
or not at all."""
