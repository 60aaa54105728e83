"""Publishing wing: the run plan and scheduler of the book, its site, the PDF, publishing, the student edition."""
