"""AI gateway, prompt library and generated content (tenant schema): built in the AI engine issue."""
