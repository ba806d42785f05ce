"""Widgets a page or dialog is built from: panels, banners, badges, the search, the deal
summary's view. A widget shows and emits; it holds no work and reaches no store."""
