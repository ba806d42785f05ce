"""Deals (issue 18): one submit's sites asked of several providers for several terms, their
offers compared like for like, one chosen per site by a rule the rep can override, and what the
rep sends the customer. Pure logic, never Qt; the store keeps a deal as ordinary batches
(core/store/deals.py)."""
