-- Knowledge base: articles split into passages, each with an embedding for
-- semantic search and a tsvector for full-text search (fused at query time).
CREATE TABLE kb_articles (
    id           uuid PRIMARY KEY,
    slug         text NOT NULL UNIQUE,
    title        text NOT NULL,
    category     text NOT NULL DEFAULT '',
    language     text NOT NULL DEFAULT 'english',
    content_hash text NOT NULL,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kb_chunks (
    id              uuid PRIMARY KEY,
    article_id      uuid NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    ordinal         int NOT NULL,
    heading         text NOT NULL DEFAULT '',
    content         text NOT NULL,
    content_hash    text NOT NULL,
    embedding_model text NOT NULL DEFAULT 'all-MiniLM-L6-v2',
    embedding       vector(384),
    search          tsvector GENERATED ALWAYS AS (
                        to_tsvector('english', heading || ' ' || content)
                    ) STORED,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (article_id, ordinal)
);
CREATE INDEX kb_chunks_embedding ON kb_chunks USING hnsw (embedding vector_cosine_ops);
CREATE INDEX kb_chunks_search ON kb_chunks USING gin (search);
