"""A/B testing (tenant schema): built in the experiments issue."""
