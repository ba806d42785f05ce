"""Giving results back: the exports, the fix list, the cleaned rows, the deal summary, and the
rep's words for a row's reason, a duration and a file's name."""
