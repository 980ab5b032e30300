-- Embeddings from a configured model other than the built-in one (e.g.
-- OpenAI's): the dimension is stored with the model name, each passage has
-- at most one vector per model, and each model gets its own HNSW index
-- (created on first use, over `embedding::vector(<dims>)` for that model's
-- rows only). The built-in all-MiniLM-L6-v2 vectors stay in kb_chunks.
CREATE TABLE kb_embedding_models (
    model       text PRIMARY KEY,
    dims        int NOT NULL CHECK (dims > 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kb_embeddings (
    chunk_id    uuid NOT NULL REFERENCES kb_chunks (id) ON DELETE CASCADE,
    model       text NOT NULL REFERENCES kb_embedding_models (model),
    embedding   vector NOT NULL,
    PRIMARY KEY (chunk_id, model)
);
CREATE INDEX kb_embeddings_model ON kb_embeddings (model);
