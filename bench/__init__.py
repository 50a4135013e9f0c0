"""`python -m bench`: the performance benchmark of Clearance Hub (see bench/__main__.py)."""
