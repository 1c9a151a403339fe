"""Reconciliation of payment channel statements against the orders ledger: the matching (set-based SQL), the run
and discrepancy services, their reads, the report and the background job. docs/reconciliation.md ("Matching") says
the rules for people."""
