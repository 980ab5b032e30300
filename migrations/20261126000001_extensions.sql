-- pgvector for knowledge-base embeddings. Provisioned by scripts/provision.sh.
CREATE EXTENSION IF NOT EXISTS vector;
