"""Patient-education pages: one per catalogue condition, written by the project in plain words."""
