"""The organization's documents (decisions, statements, strategies, plans), each with a marking."""
