"""Report wing: the figures and the display helpers the book's pages use."""
