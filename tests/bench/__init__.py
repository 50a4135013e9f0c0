"""CI smoke run of the performance benchmark."""
