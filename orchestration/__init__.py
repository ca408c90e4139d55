"""Entry points for orchestrators that run the pipeline in place of ``elt run``
(docs/orchestrators.md)."""
