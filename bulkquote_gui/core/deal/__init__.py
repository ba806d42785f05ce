"""A deal: one file's sites priced across providers and terms, the offer chosen per site, and
what the rep sends the customer (issue 18). Plain Python, never Qt."""
