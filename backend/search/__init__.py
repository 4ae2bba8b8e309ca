"""Search and questions: full-text and semantic search over everything the team wrote or received
about investors (notes, interaction-log entries, matched mail, long-text cells), indexed in Qdrant
by a background indexer, and the questions engine (`ask`, `plans`) that answers in tables."""
