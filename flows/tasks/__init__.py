"""The flows' steps: discover → collect (fetch, archive) → parse → (placement and load: warehouse/) → index;
and the digest's model and rendering."""
