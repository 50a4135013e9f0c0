"""Models of the milestones area."""
