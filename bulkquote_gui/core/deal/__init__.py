"""A deal: one submit's sites, asked of one or more providers for one or more terms, compared,
chosen per site and proposed (issue 18). Pure logic, no Qt."""
