"""Customers: everything customer-specific but the tables (those are in scrm.models): services, selectors, the
pages, the API, phones, the import and the export."""
