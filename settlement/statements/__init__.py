"""Payment channel statements: the parsers of each layout (WeChat Pay, Alipay, a mapped CSV/XLSX), the import
service that stores a file once and reads it into `StatementLine`s as a job of the outbox, and the reads of the
pages. docs/reconciliation.md says the layouts and the normalisation rules."""
