"""BulkQuote: bulk connectivity quotes from a spreadsheet, against the Momentum quote API."""

__version__ = "0.1.0"
APP_NAME = "BulkQuote"
