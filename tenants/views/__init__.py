"""Server-rendered web app pages for accounts and teams."""
