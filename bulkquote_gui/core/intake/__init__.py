"""Reading and checking a file: the bounds of what is read (limits), the readers and the
workbook guard, column mapping, addresses and address sets, the importer, and the checked
row it makes (rows). Nothing here talks to a quote provider or the store."""
