-- Which in-process model each passage vector came from. Vectors of two
-- models are not comparable: search uses only the running model's, and
-- import re-embeds passages another model embedded (vectors written before
-- this column were all-MiniLM-L6-v2's, the only in-process model then).
ALTER TABLE kb_chunks ADD COLUMN embedded_with text;
UPDATE kb_chunks SET embedded_with = 'all-MiniLM-L6-v2' WHERE embedding IS NOT NULL;
