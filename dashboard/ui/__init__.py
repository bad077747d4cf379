"""UI pieces shared by the dashboard's pages."""
