# Channel accounts, webhooks and the raw event store arrive with the WeChat ingestion issue.
