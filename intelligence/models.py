"""Tenant business data and the analytics engines (tenant schema): built in the customer-data issue."""
