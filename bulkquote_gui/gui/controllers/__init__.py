"""The window's work, by noun (Anki's aqt as the model): MainWindow builds the pages and these
controllers and wires their signals; each controller is handed its pages, dialogs and operations
in its constructor and never reaches into the window.
"""
