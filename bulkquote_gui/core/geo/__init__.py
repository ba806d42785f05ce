"""Offline geography for the map of a batch's sites: the projection, the state outlines we
ship, and where a site is. Plain Python: the window and the proposal draw what this computes."""
