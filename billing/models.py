"""Platform billing of tenants (plans, subscriptions, invoices): built in the billing issue."""
