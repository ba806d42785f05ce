"""The window's pages: upload (a file, checked; built of file_loading, preview_table and
upload_actions) and progress (one batch)."""
