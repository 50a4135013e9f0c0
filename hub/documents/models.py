"""Models of the documents area."""
