"""A deal: what one submit asks for (a file's sites, one or more providers, one or more terms),
stored as ordinary batches. Pure logic, no store and no Qt: the offers of a site like for like,
the rules that choose one per site, what changed between two batches, the proposal's data."""
