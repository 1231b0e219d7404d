"""SURESH AI ORIGIN project package: settings, URL routing and cross-cutting web plumbing."""
